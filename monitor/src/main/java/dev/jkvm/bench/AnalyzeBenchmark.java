package dev.jkvm.bench;

import dev.jkvm.analysis.BadRecordingException;
import dev.jkvm.analysis.RecordingAnalysis;
import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordingFile;

/**
 * How fast `jkvm analyze` reads a recording: the whole analysis (read, sort, fold, summary) against
 * the JDK's own parser doing nothing but {@code readEvent} over the same file, rounds alternating
 * which goes first so the machine's noise hits both; events per second of each and their ratio.
 * Both rates are over the events the JDK's parser returns from the file, so they compare like with
 * like even where the analysis skips events it does not need without parsing them. Beside wall
 * time, the reading thread's CPU time: on a shared machine it moves less with the other load.
 */
public final class AnalyzeBenchmark {
    static final List<String> SIDES = List.of("analyze", "parser");
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** One pass over the file: which side, wall seconds, CPU seconds of the thread that read it. */
    public record Run(String side, double seconds, double cpuSeconds) {}

    public record Result(Path file, long bytes, long events, List<Run> runs) {
        double median(String side) {
            return Stats.median(runs.stream().filter(r -> r.side().equals(side)).mapToDouble(r -> events / r.seconds()).toArray());
        }

        double medianCpu(String side) {
            return Stats.median(runs.stream().filter(r -> r.side().equals(side)).mapToDouble(r -> events / r.cpuSeconds()).toArray());
        }

        public String summary() {
            return String.format(Locale.ROOT, "analyze: %s (%.1f MB, %d events): median analyze %.2f M events/s, JDK parser alone %.2f M events/s, "
                    + "analyze/parser %.2f; per CPU second of the reading thread %.2f vs %.2f M events/s, %.2f", file.getFileName(), bytes / 1e6,
                    events, median("analyze") / 1e6, median("parser") / 1e6, median("analyze") / median("parser"), medianCpu("analyze") / 1e6,
                    medianCpu("parser") / 1e6, medianCpu("analyze") / medianCpu("parser"));
        }

        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("file", file.toString());
            m.put("bytes", bytes);
            m.put("events", events);
            m.put("medianAnalyzeEventsPerSecond", median("analyze"));
            m.put("medianParserEventsPerSecond", median("parser"));
            m.put("medianRatio", median("analyze") / median("parser"));
            m.put("medianAnalyzeEventsPerCpuSecond", medianCpu("analyze"));
            m.put("medianParserEventsPerCpuSecond", medianCpu("parser"));
            m.put("medianCpuRatio", medianCpu("analyze") / medianCpu("parser"));
            m.put("runs", runs.stream().map(r -> Map.of("side", r.side(), "seconds", r.seconds(), "cpuSeconds", r.cpuSeconds(),
                    "eventsPerSecond", events / r.seconds())).toList());
            return m;
        }
    }

    private AnalyzeBenchmark() {}

    public static Result run(Path file, int rounds, PrintWriter progress) throws IOException {
        if (rounds < 1) throw new UsageException("--rounds must be at least 1");
        if (!Files.isRegularFile(file)) throw new UsageException("--analyze: " + dev.jkvm.analysis.BadRecordingException.notAFile(file).getMessage());
        // Warm-up: one pass of each, so both sides are compiled before the first measured round. The
        // analysis first: it checks the file as `jkvm analyze` does (the bare parser only throws).
        analyze(file);
        long events = parse(file);
        List<Run> runs = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < SIDES.size(); i++) {
                String side = SIDES.get((i + r) % SIDES.size());
                long t0 = System.nanoTime(), c0 = THREADS.getCurrentThreadCpuTime();
                if (side.equals("analyze")) {
                    analyze(file);
                } else if (parse(file) != events) {
                    throw new IllegalStateException("the JDK's parser read a different number of events from " + file + " in two passes");
                }
                Run run = new Run(side, (System.nanoTime() - t0) / 1e9, (THREADS.getCurrentThreadCpuTime() - c0) / 1e9);
                runs.add(run);
                progress.printf(Locale.ROOT, "bench: analyze: round %d: %s %.2f M events/s (%.2f s, %.2f s CPU)%n", r + 1, side,
                        events / run.seconds() / 1e6, run.seconds(), run.cpuSeconds());
                progress.flush();
            }
        }
        return new Result(file, Files.size(file), events, runs);
    }

    /** The whole analysis of the file, as `jkvm analyze` does it (summary included, no output). */
    private static void analyze(Path file) {
        try {
            RecordingAnalysis.analyze(file);
        } catch (BadRecordingException e) {
            throw new UsageException("--analyze: " + e.getMessage());
        }
    }

    /** The JDK's parser alone: every event read, nothing looked at; returns how many. */
    private static long parse(Path file) throws IOException {
        long n = 0;
        try (RecordingFile in = new RecordingFile(file)) {
            while (in.hasMoreEvents()) {
                in.readEvent();
                n++;
            }
        } catch (IOException | RuntimeException e) {
            // The analysis read the file but the parser, which stops at nothing, fails where the
            // analysis stopped early (a torn last chunk): said as the file's problem.
            throw new UsageException("--analyze: the JDK's parser cannot read " + file + " to its end (" + e.getMessage()
                    + "); benchmark a complete recording");
        }
        return n;
    }
}
