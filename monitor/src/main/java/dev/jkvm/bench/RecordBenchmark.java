package dev.jkvm.bench;

import dev.jkvm.experiment.Experiment;
import dev.jkvm.experiment.ExperimentSpec;
import dev.jkvm.experiment.VmReport;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.jfr.JfrProfiles;
import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * What recording costs: the same io-ping guest (N pings, pinned to the experiment CPU) run without a
 * recording and with each profile, the order rotating every round so drift hits all alike; the exit
 * round trip with a profile against the one without, and the size of each profile's recording.
 */
public final class RecordBenchmark {
    static final List<String> MODES = List.of("none", JfrProfiles.SCHED, JfrProfiles.FULL);

    /** One run: ns per exit and the recording's size (0 without one). */
    public record Run(String mode, double nanosPerExit, long recordingBytes) {}

    public record Result(long pings, int cpu, List<Run> runs) {
        public double medianNanos(String mode) {
            return Stats.median(runs.stream().filter(r -> r.mode().equals(mode)).mapToDouble(Run::nanosPerExit).toArray());
        }

        public double medianBytes(String mode) {
            return Stats.median(runs.stream().filter(r -> r.mode().equals(mode)).mapToDouble(Run::recordingBytes).toArray());
        }

        public String summary() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "record: io-ping, %d pings on CPU %d: unrecorded %.0f ns/exit", pings, cpu,
                    medianNanos("none")));
            for (String p : MODES.subList(1, MODES.size())) {
                sb.append(String.format(Locale.ROOT, "; %s %.0f ns/exit (×%.3f), %.1f MB", p, medianNanos(p), medianNanos(p) / medianNanos("none"),
                        medianBytes(p) / 1e6));
            }
            return sb.toString();
        }

        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("pings", pings);
            m.put("cpu", cpu);
            for (String mode : MODES) {
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("medianNanosPerExit", medianNanos(mode));
                p.put("ratioToUnrecorded", medianNanos(mode) / medianNanos("none"));
                p.put("medianRecordingBytes", medianBytes(mode));
                m.put(mode, p);
            }
            m.put("runs", runs.stream().map(r -> Map.of("mode", r.mode(), "nanosPerExit", r.nanosPerExit(), "recordingBytes", r.recordingBytes())).toList());
            return m;
        }
    }

    private RecordBenchmark() {}

    public static Result run(long pings, int rounds, int cpu, GuestImage ioPing, PrintWriter progress) throws IOException, InterruptedException {
        if (pings < 1) throw new UsageException("--pings must be at least 1");
        if (rounds < 1) throw new UsageException("--rounds must be at least 1");
        Path dir = Files.createTempDirectory("jkvm-bench-record-");
        try {
            once(ioPing, Math.max(1, pings / 10), cpu, "none", dir); // JIT warm-up
            List<Run> runs = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < MODES.size(); i++) {
                    String mode = MODES.get((i + r) % MODES.size());
                    Run run = once(ioPing, pings, cpu, mode, dir);
                    runs.add(run);
                    progress.printf(Locale.ROOT, "bench: record: round %d: %s %.0f ns/exit%s%n", r + 1, mode, run.nanosPerExit(),
                            run.recordingBytes() == 0 ? "" : String.format(Locale.ROOT, ", %.1f MB", run.recordingBytes() / 1e6));
                    progress.flush();
                }
            }
            return new Result(pings, cpu, runs);
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static Run once(GuestImage ioPing, long pings, int cpu, String mode, Path dir) throws IOException, InterruptedException {
        Path jfr = mode.equals("none") ? null : dir.resolve(mode + ".jfr");
        ExperimentSpec spec = new ExperimentSpec(List.of(new ExperimentSpec.VmSpec(ioPing, ioPing.manifest().memory(), pings, null)),
                null, OptionalInt.of(cpu), jfr, jfr == null ? null : mode, false);
        VmReport vm = new Experiment(spec, new PrintWriter(new StringWriter())).run().vm(0);
        if (vm.pings() != pings) throw new IllegalStateException(mode + " run made " + vm.pings() + " pings, expected " + pings);
        long bytes = jfr == null ? 0 : Files.size(jfr);
        if (jfr != null) Files.delete(jfr);
        return new Run(mode, (double) vm.runNanos() / vm.exits().total(), bytes);
    }
}
