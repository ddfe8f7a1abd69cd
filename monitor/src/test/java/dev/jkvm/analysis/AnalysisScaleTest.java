package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The analysis streams: on a recording of about 1.5 million events it reads at least the rate
 * below, and a separate JVM capped at 48 MiB of heap analyzes a recording ten times larger than a
 * small one with about the same peak heap. Prints the measured numbers.
 */
class AnalysisScaleTest {
    static final long SLICES = 250_000;

    static SyntheticSchedule schedule(long slices) {
        SyntheticSchedule s = new SyntheticSchedule().vm("vm0", 0).vm("vm1", 0);
        for (long i = 0; i < slices / 2; i++) s.run("vm0", 3_000_000 + (i % 7) * 1000).run("vm1", 3_000_000);
        // In commit order, as the recorder writes them (the other tests shuffle to prove the order does not matter).
        s.shuffle = false;
        return s;
    }

    @Test
    void streamsAMillionEventsFastInBoundedHeap(@TempDir Path dir) throws Exception {
        Path big = schedule(SLICES).write(dir.resolve("big.jfr"), 1);
        Path small = schedule(SLICES / 10).write(dir.resolve("small.jfr"), 1);
        // Rate, in this JVM: warm-up passes (the JIT), then the measured one.
        for (int i = 0; i < 3; i++) RecordingAnalysis.analyze(small);
        long t0 = System.nanoTime();
        RunSummary r;
        try (ScheduleAnalyzer a = new ScheduleAnalyzer(big.toString())) {
            RecordingAnalysis.read(big, a);
            r = a.finish(null);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        // The JDK's parser alone on the same file, right after: the ceiling on this machine at this moment.
        long t1 = System.nanoTime(), parsed = 0;
        try (jdk.jfr.consumer.RecordingFile in = new jdk.jfr.consumer.RecordingFile(big)) {
            while (in.hasMoreEvents()) {
                in.readEvent();
                parsed++;
            }
        }
        double parseRate = parsed / ((System.nanoTime() - t1) / 1e9);
        // Over all the file's events (the analysis skips the JVM's own unread), as `jkvm bench --analyze` counts.
        long events = parsed;
        double rate = events / seconds;
        assertEquals(SLICES / 2, r.vcpus().get(0).slices().count());
        long peakBig = peakHeapInChild(big), peakSmall = peakHeapInChild(small);
        System.out.printf("analysis scale: %d events (%.1f MB) in %.2f s = %.2f M events/s (the JDK parser alone: %.2f M/s); peak heap "
                + "with -Xmx48m: %.1f MB for it, %.1f MB for %d events%n", events, Files.size(big) / 1e6, seconds, rate / 1e6, parseRate / 1e6,
                peakBig / 1e6, peakSmall / 1e6, events / 10);
        // The machine is shared by parallel builds; the bound leaves room for that, the printed number is the measurement.
        assertTrue(rate > 100_000, "only " + rate + " events/s");
        assertTrue(peakBig < 2.0 * peakSmall + 8_000_000, "peak heap grew with the recording: " + peakSmall + " -> " + peakBig);
    }

    /** Analyzes the file in a fresh JVM limited to 48 MiB of heap and returns its peak heap use. */
    static long peakHeapInChild(Path file) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx48m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                AnalysisScaleTest.class.getName(), file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM hung");
        assertEquals(0, p.exitValue(), out);
        String last = out.strip().lines().reduce((a, b) -> b).orElse("");
        return Long.parseLong(last.replace("peak ", ""));
    }

    /** The child: analyze, then print the peak heap used over all heap pools. */
    public static void main(String[] args) {
        RecordingAnalysis.analyze(Path.of(args[0]));
        long peak = 0;
        List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans();
        for (MemoryPoolMXBean pool : pools) {
            if (pool.getType() == MemoryType.HEAP) peak += pool.getPeakUsage().getUsed();
        }
        System.out.println("peak " + peak);
    }
}
