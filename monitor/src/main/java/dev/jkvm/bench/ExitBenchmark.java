package dev.jkvm.bench;

import dev.jkvm.experiment.Experiment;
import dev.jkvm.experiment.ExperimentSpec;
import dev.jkvm.experiment.VmReport;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The cost of one port-I/O exit round trip (guest OUT → KVM → monitor → KVM_RUN again), jkvm's Java
 * loop side by side with the C reference monitor, both running the same io-ping image in the same
 * process run, rounds alternating so that machine noise hits both. Beside the wall time per exit:
 * user CPU per exit of each whole process (getrusage), and the bytes the Java loop allocated per exit.
 */
public final class ExitBenchmark {

    /** One round: nanoseconds per exit for Java and for C, wall and user CPU, and the Java loop's allocation. */
    public record Round(double javaNanosPerExit, double cNanosPerExit, double javaUserNanosPerExit, double cUserNanosPerExit,
                        double javaBytesPerExit) {
        public double ratio() {
            return javaNanosPerExit / cNanosPerExit;
        }

        public double userRatio() {
            return javaUserNanosPerExit / cUserNanosPerExit;
        }
    }

    /** All rounds and their medians. */
    public record Result(long exitsPerRun, List<Round> rounds) {
        public double medianJava() {
            return Stats.median(rounds.stream().mapToDouble(Round::javaNanosPerExit).toArray());
        }

        public double medianC() {
            return Stats.median(rounds.stream().mapToDouble(Round::cNanosPerExit).toArray());
        }

        public double medianRatio() {
            return Stats.median(rounds.stream().mapToDouble(Round::ratio).toArray());
        }

        public double medianJavaUser() {
            return Stats.median(rounds.stream().mapToDouble(Round::javaUserNanosPerExit).toArray());
        }

        public double medianCUser() {
            return Stats.median(rounds.stream().mapToDouble(Round::cUserNanosPerExit).toArray());
        }

        public double maxJavaBytesPerExit() {
            return rounds.stream().mapToDouble(Round::javaBytesPerExit).max().orElse(0);
        }

        public String summary() {
            return String.format(Locale.ROOT, "exits: %d exits a run, %d rounds: median Java %.0f ns/exit, C %.0f ns/exit, Java/C %.3f; "
                            + "user CPU per exit Java %.0f ns, C %.0f ns; Java loop allocated %.1f bytes/exit (max of rounds)",
                    exitsPerRun, rounds.size(), medianJava(), medianC(), medianRatio(), medianJavaUser(), medianCUser(), maxJavaBytesPerExit());
        }

        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("exitsPerRun", exitsPerRun);
            m.put("medianJavaNanosPerExit", medianJava());
            m.put("medianCNanosPerExit", medianC());
            m.put("medianRatio", medianRatio());
            m.put("medianJavaUserNanosPerExit", medianJavaUser());
            m.put("medianCUserNanosPerExit", medianCUser());
            m.put("userRatio", medianJavaUser() / medianCUser());
            m.put("maxJavaBytesPerExit", maxJavaBytesPerExit());
            List<Object> rs = new ArrayList<>();
            for (Round r : rounds) {
                rs.add(Map.of("javaNanosPerExit", r.javaNanosPerExit(), "cNanosPerExit", r.cNanosPerExit(),
                        "javaUserNanosPerExit", r.javaUserNanosPerExit(), "cUserNanosPerExit", r.cUserNanosPerExit(),
                        "javaBytesPerExit", r.javaBytesPerExit()));
            }
            m.put("rounds", rs);
            return m;
        }
    }

    private ExitBenchmark() {}

    public static Result run(long exits, int rounds, CReference c, PrintWriter progress) throws IOException, InterruptedException {
        if (exits < 1) throw new UsageException("--exits must be at least 1");
        if (rounds < 1) throw new UsageException("--rounds must be at least 1");
        GuestImage ioPing = c.ioPing();
        progress.println("bench: exits: warming up the JIT (" + Math.max(1, exits / 10) + " exits)…");
        progress.flush();
        javaRun(ioPing, Math.max(1, exits / 10));
        List<Round> all = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            double[] java;
            double[] cee;
            if (r % 2 == 0) {
                java = javaRun(ioPing, exits);
                cee = cRun(c, exits);
            } else {
                cee = cRun(c, exits);
                java = javaRun(ioPing, exits);
            }
            all.add(new Round(java[0], cee[0], java[1], cee[1], java[2]));
            progress.printf(Locale.ROOT, "bench: exits: round %d: Java %.0f ns/exit (user %.0f), C %.0f ns/exit (user %.0f)%n",
                    r + 1, java[0], java[1], cee[0], cee[1]);
            progress.flush();
        }
        return new Result(exits + 1, all);
    }

    /** Wall ns per exit, user CPU ns per exit (whole JVM), bytes allocated per exit by the loop. */
    private static double[] javaRun(GuestImage ioPing, long pings) throws InterruptedException {
        ExperimentSpec spec = new ExperimentSpec(List.of(new ExperimentSpec.VmSpec(ioPing, ioPing.manifest().memory(), pings, null)),
                null, OptionalInt.empty(), null, null, false);
        dev.jkvm.host.ProcessCpu before = dev.jkvm.host.ProcessCpu.now();
        VmReport vm = new Experiment(spec, new PrintWriter(new StringWriter())).run().vm(0);
        dev.jkvm.host.ProcessCpu used = dev.jkvm.host.ProcessCpu.now().minus(before);
        if (vm.pings() != pings) throw new IllegalStateException("Java run made " + vm.pings() + " pings, expected " + pings);
        double exits = vm.exits().total();
        return new double[] {vm.runNanos() / exits, used.userNanos() / exits, Math.max(0, vm.loopAllocatedBytes()) / exits};
    }

    /** Wall ns per exit and user CPU ns per exit (whole process) of the C reference. */
    private static double[] cRun(CReference c, long pings) throws IOException, InterruptedException {
        Map<String, Long> r = c.run("IMAGE", Long.toString(pings));
        if (r.get("pings") != pings) throw new IllegalStateException("the C reference made " + r.get("pings") + " pings, expected " + pings);
        double exits = r.get("exits");
        return new double[] {r.get("ns") / exits, r.get("user_ns") / exits};
    }
}
