package dev.jkvm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** /proc/stat and schedstat parsing on captured text, and the hygiene verdict and line. */
class CpuTimesTest {
    /** Captured on the development machine (2026-11-26). */
    static final String PROC_STAT = """
            cpu  1019457 1752 352013 593448 4909 0 1376 33745 331 0
            cpu0 543425 707 110865 325879 2407 0 364 16986 141 0
            cpu1 476031 1045 241148 267568 2501 0 1012 16758 190 0
            intr 123 4 5
            ctxt 4489187
            cpu_not_a_cpu 1 2 3
            """;

    @Test
    void perCpuLinesInNanoseconds() {
        Map<Integer, CpuTimes> cpus = CpuTimes.parse(PROC_STAT);
        assertEquals(2, cpus.size(), "cpu0 and cpu1, not the total");
        CpuTimes c1 = cpus.get(1);
        assertEquals(476031 * CpuTimes.TICK_NANOS, c1.user());
        assertEquals(267568 * CpuTimes.TICK_NANOS, c1.idle());
        assertEquals(16758 * CpuTimes.TICK_NANOS, c1.steal());
        assertEquals((267568L + 2501 + 16758) * CpuTimes.TICK_NANOS, c1.notRunningNanos());
    }

    @Test
    void schedstatRunTime() {
        assertEquals(260251871L, TaskRunTime.parse("260251871 66481640 684\n"));
        assertEquals(-1, TaskRunTime.parse("garbage"));
    }

    @Test
    void hygieneWarnsAboveItsThresholdsOnly() {
        RunHygiene clean = new RunHygiene(1, 0, 1_000_000_000L, 9_000_000, 990_000_000, 0, "none", -1, 0, -1, -1, -1, "0", 0);
        assertTrue(clean.exceeded().isEmpty());
        assertEquals("jkvm: run hygiene on CPU 1: foreign tasks 0.90 % of the run, no SMT sibling, frequency not exposed", clean.line());
        RunHygiene hog = new RunHygiene(3, 0, 1_000_000_000L, 330_000_000, 670_000_000, 0, "67", 0.06, 10, 2, 2_000_000, 3_000_000, "0-2", 0);
        assertEquals(2, hog.exceeded().size(), hog.exceeded().toString());
        assertTrue(hog.line().startsWith("jkvm: warning: the experiment CPU was not the VMs' alone: foreign tasks ran 33.0 % of the run on CPU 3"
                + " (threshold 1 %); its SMT sibling CPU 67 was busy 6.0 % (threshold 5 %)"), hog.line());
        assertFalse(hog.line().contains("\n"), "one line");
    }

    @Test
    void theAnalysisWarnsAtTheSameThresholds() {
        assertEquals(RunHygiene.FOREIGN_WARN_FRACTION, dev.jkvm.analysis.RunSummary.Hygiene.FOREIGN_WARN_FRACTION);
        assertEquals(RunHygiene.SIBLING_WARN_FRACTION, dev.jkvm.analysis.RunSummary.Hygiene.SIBLING_WARN_FRACTION);
    }
}
