package dev.jkvm.bench;

import dev.jkvm.sched.CpuPlacement;
import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs the suites `jkvm bench` was asked for, prints each one's summary line and writes the JSON. */
public final class BenchSuites {

    /** What to run: a null or empty suite is skipped. */
    public record Plan(Long exits, Integer start, boolean record, long pings, List<Integer> scale, Path analyze, Duration duration, Integer cpu,
                       int rounds, String compiler, Path json) {
        public Plan {
            scale = List.copyOf(scale);
            if (exits != null && exits < 1) throw new UsageException("--exits must be at least 1");
            if (start != null && start < 1) throw new UsageException("--start must be at least 1");
            if (rounds < 1) throw new UsageException("--rounds must be at least 1");
            if (pings < 1) throw new UsageException("--pings must be at least 1");
            for (int n : scale) if (n < 1) throw new UsageException("--scale counts must be at least 1, got " + n);
            if (duration.isZero() || duration.isNegative()) throw new UsageException("--duration must be positive");
            if (analyze != null && !Files.isRegularFile(analyze)) throw new UsageException("--analyze: " + dev.jkvm.analysis.BadRecordingException.notAFile(analyze).getMessage());
        }

        /** True when only suites that need no KVM were asked for. */
        public boolean needsNoKvm() {
            return exits == null && start == null && !record && scale.isEmpty();
        }
    }

    private BenchSuites() {}

    public static Map<String, Object> run(Plan plan, PrintWriter out) throws IOException, InterruptedException {
        int cpu = plan.cpu() != null ? plan.cpu() : CpuPlacement.allowed().length() - 1;
        CpuPlacement.requireUsable(cpu);
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("date", Instant.now().toString());
        results.put("host", host());
        List<String> lines = new ArrayList<>();
        if (plan.analyze() != null) { // first, before the KVM suites leave threads and native memory behind
            AnalyzeBenchmark.Result r = AnalyzeBenchmark.run(plan.analyze(), plan.rounds(), out);
            results.put("analyze", r.json());
            lines.add(r.summary());
        }
        try (CReference c = plan.exits() != null || plan.start() != null ? CReference.build(plan.compiler()) : null) {
            if (plan.start() != null) { // first, so its cold numbers come from a fresh JVM
                StartBenchmark.Result r = StartBenchmark.run(plan.start(), plan.rounds(), c, out);
                results.put("start", r.json());
                lines.add(r.summary());
            }
            if (plan.exits() != null) {
                ExitBenchmark.Result r = ExitBenchmark.run(plan.exits(), plan.rounds(), c, out);
                results.put("exits", r.json());
                lines.add(r.summary());
            }
        }
        if (plan.record()) {
            RecordBenchmark.Result r = RecordBenchmark.run(plan.pings(), plan.rounds(), cpu, dev.jkvm.guest.GuestCatalog.resolve("io-ping"), out);
            results.put("record", r.json());
            lines.add(r.summary());
        }
        List<Object> scales = new ArrayList<>();
        for (int n : plan.scale()) {
            ScaleBenchmark.Result r = ScaleBenchmark.run(n, plan.duration(), cpu, out);
            scales.add(r.json());
            lines.add(r.summary());
            out.println("bench: " + r.summary());
            out.flush();
        }
        if (!scales.isEmpty()) results.put("scale", scales);
        for (String l : lines) out.println("bench: " + l);
        out.flush();
        if (plan.json() != null) {
            dev.jkvm.util.OutputFile.write(plan.json(), Json.write(results), "--json");
            out.println("bench: results written to " + plan.json());
            out.flush();
        }
        return results;
    }

    private static Map<String, Object> host() {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("cpus", Runtime.getRuntime().availableProcessors());
        h.put("kernel", System.getProperty("os.version"));
        h.put("java", Runtime.version().toString());
        h.put("jvmFlags", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        try {
            h.put("cpuModel", Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown"));
        } catch (IOException e) {
            h.put("cpuModel", "unknown");
        }
        try {
            h.put("loadAverage", Files.readString(Path.of("/proc/loadavg")).strip());
        } catch (IOException e) {
            h.put("loadAverage", "unknown");
        }
        return h;
    }
}
