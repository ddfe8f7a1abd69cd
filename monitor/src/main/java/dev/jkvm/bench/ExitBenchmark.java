package dev.jkvm.bench;

import dev.jkvm.experiment.Experiment;
import dev.jkvm.experiment.ExperimentSpec;
import dev.jkvm.experiment.VmReport;
import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cost of one port-I/O exit round trip (guest OUT → KVM → monitor → KVM_RUN again), jkvm's Java
 * loop side by side with a C reference monitor built from io_ping_reference.c, both running the same
 * io-ping image in the same process run, rounds alternating so that machine noise hits both.
 */
public final class ExitBenchmark {
    private static final Pattern C_RESULT = Pattern.compile("exits=(\\d+) pings=(\\d+) ns=(\\d+)");

    /** One round: nanoseconds per exit for Java and for C. */
    public record Round(double javaNanosPerExit, double cNanosPerExit) {
        public double ratio() {
            return javaNanosPerExit / cNanosPerExit;
        }
    }

    /** All rounds and their medians. */
    public record Result(long exitsPerRun, List<Round> rounds) {
        public double medianJava() {
            return median(rounds.stream().mapToDouble(Round::javaNanosPerExit).toArray());
        }

        public double medianC() {
            return median(rounds.stream().mapToDouble(Round::cNanosPerExit).toArray());
        }

        public double medianRatio() {
            return median(rounds.stream().mapToDouble(Round::ratio).toArray());
        }

        private static double median(double[] v) {
            java.util.Arrays.sort(v);
            return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        }
    }

    private ExitBenchmark() {}

    public static Result run(long exits, int rounds, String compiler, PrintWriter progress) throws IOException, InterruptedException {
        if (exits < 1) throw new UsageException("--exits must be at least 1");
        if (rounds < 1) throw new UsageException("--rounds must be at least 1");
        Path dir = Files.createTempDirectory("jkvm-bench-");
        try {
            Path reference = buildReference(dir, compiler);
            GuestImage ioPing = GuestCatalog.resolve("io-ping");
            Path image = dir.resolve("io-ping.bin");
            Files.write(image, ioPing.segments().get(0).bytes());
            progress.println("bench: warming up the JIT (" + Math.max(1, exits / 10) + " exits)…");
            progress.flush();
            javaRun(ioPing, Math.max(1, exits / 10));
            List<Round> all = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                double javaNs, cNs;
                if (r % 2 == 0) {
                    javaNs = javaRun(ioPing, exits);
                    cNs = cRun(reference, image, exits);
                } else {
                    cNs = cRun(reference, image, exits);
                    javaNs = javaRun(ioPing, exits);
                }
                all.add(new Round(javaNs, cNs));
                progress.printf(Locale.ROOT, "bench: round %d: Java %.0f ns/exit, C %.0f ns/exit%n", r + 1, javaNs, cNs);
                progress.flush();
            }
            return new Result(exits + 1, all);
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static double javaRun(GuestImage ioPing, long pings) throws InterruptedException {
        ExperimentSpec spec = new ExperimentSpec(List.of(new ExperimentSpec.VmSpec(ioPing, ioPing.manifest().memory(), pings, null)),
                null, OptionalInt.empty(), null, null, false);
        VmReport vm = new Experiment(spec, new PrintWriter(new StringWriter())).run().vm(0);
        if (vm.pings() != pings) throw new IllegalStateException("Java run made " + vm.pings() + " pings, expected " + pings);
        return (double) vm.runNanos() / vm.exits().total();
    }

    private static double cRun(Path reference, Path image, long pings) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(reference.toString(), image.toString(), Long.toString(pings)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalStateException("the C reference failed: " + out.strip());
        Matcher m = C_RESULT.matcher(out);
        if (!m.find()) throw new IllegalStateException("the C reference printed no result: " + out.strip());
        if (Long.parseLong(m.group(2)) != pings) throw new IllegalStateException("the C reference made " + m.group(2) + " pings, expected " + pings);
        return Double.parseDouble(m.group(3)) / Long.parseLong(m.group(1));
    }

    private static Path buildReference(Path dir, String compiler) throws IOException, InterruptedException {
        Path source = dir.resolve("io_ping_reference.c");
        try (InputStream in = ExitBenchmark.class.getResourceAsStream("io_ping_reference.c")) {
            if (in == null) throw new IllegalStateException("io_ping_reference.c is missing from the jar");
            Files.copy(in, source);
        }
        Path binary = dir.resolve("io_ping_reference");
        Process cc;
        try {
            cc = new ProcessBuilder(compiler, "-O2", "-o", binary.toString(), source.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UsageException("the C reference needs a C compiler: '" + compiler + "' cannot be run (apt-get install gcc, or --cc)");
        }
        String log = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (cc.waitFor() != 0) throw new IllegalStateException("compiling the C reference failed:\n" + log);
        return binary;
    }
}
