package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The histogram's percentiles against exact nearest-rank percentiles of the same samples; the spool's order against Arrays.sort. */
class LogHistogramTest {

    @Test
    void percentilesAreWithinTheStatedRelativeError() {
        Random random = new Random(7);
        for (int round = 0; round < 20; round++) {
            int n = 1 + random.nextInt(20_000);
            long[] samples = new long[n];
            LogHistogram h = new LogHistogram();
            for (int i = 0; i < n; i++) {
                samples[i] = (long) Math.exp(random.nextDouble() * 30); // 1 ns … 10 s, log-uniform
                h.record(samples[i]);
            }
            Arrays.sort(samples);
            for (double p : new double[] {1, 50, 90, 99, 99.9, 100}) {
                long exact = samples[(int) Math.max(1, Math.ceil(p / 100 * n)) - 1];
                long got = h.percentile(p);
                assertTrue(Math.abs(got - exact) <= exact / 128.0 + 0.5, "p" + p + " of " + n + ": " + got + " vs exact " + exact);
            }
            assertEquals(samples[n - 1], h.max());
            assertEquals(Arrays.stream(samples).sum(), h.total());
        }
    }

    @Test
    void theSpoolSortsAnyOrderThroughSpilledRuns() {
        Random random = new Random(3);
        long base = 1_000_000_000_000L;
        try (TimeSpool spool = new TimeSpool(1_000)) {
            long[] expected = new long[50_000];
            for (int i = 0; i < expected.length; i++) {
                long t = base + random.nextInt(1_000_000_000);
                int kind = random.nextInt(1 << TimeSpool.KIND_BITS), lane = random.nextInt(TimeSpool.MAX_LANES);
                spool.add(t, kind, lane);
                expected[i] = t;
            }
            assertTrue(spool.spilledRuns() >= 49, "runs: " + spool.spilledRuns());
            Arrays.sort(expected);
            long[] got = new long[expected.length];
            int[] i = {0};
            spool.drain(r -> got[i[0]++] = spool.time(r));
            assertEquals(expected.length, i[0]);
            assertTrue(Arrays.equals(expected, got), "out of order");
        }
    }

    @Test
    void switchClassesOfBothVocabularies() {
        assertEquals(ScheduleAnalyzer.FIRST_RUN, ScheduleAnalyzer.classOf("first load on this CPU"));
        assertEquals(ScheduleAnalyzer.FIRST_RUN, ScheduleAnalyzer.classOf("first run"));
        assertEquals(ScheduleAnalyzer.SAME_VCPU, ScheduleAnalyzer.classOf("same vCPU reloaded"));
        assertEquals(ScheduleAnalyzer.OTHER_VCPU, ScheduleAnalyzer.classOf("another vCPU was loaded"));
        assertEquals(ScheduleAnalyzer.OTHER_VCPU, ScheduleAnalyzer.classOf("switched from another vCPU"));
        assertEquals(ScheduleAnalyzer.UNKNOWN_CLASS, ScheduleAnalyzer.classOf("outside KVM_RUN"));
        assertEquals(ScheduleAnalyzer.UNKNOWN_CLASS, ScheduleAnalyzer.classOf(null));
    }
}
