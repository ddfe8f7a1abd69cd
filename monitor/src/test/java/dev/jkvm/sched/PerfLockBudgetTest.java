package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.util.Capabilities;
import dev.jkvm.util.ProcessLimits;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class PerfLockBudgetTest {
    /**
     * The usual unprivileged budget: 516 KiB per CPU on 2 CPUs plus an 8 MiB ulimit -l. The kernel
     * mapped 135 rings of 16 data pages for such a user and refused the 136th with EPERM (2026-11-27,
     * 256 VMs); the budget gives the same count.
     */
    @Test
    void theUsualUnprivilegedBudgetHolds135FullRings() {
        PerfLockBudget b = PerfLockBudget.of(516, 2, 8L << 20);
        assertEquals(2306, b.pages());
        assertEquals(135, b.ringsOf(16));
        assertEquals(16, b.dataPagesFor(135, 16));
        assertEquals(8, b.dataPagesFor(136, 16));
        assertEquals(8, b.dataPagesFor(256, 16));
        assertEquals(1, b.dataPagesFor(1024, 16));
        assertEquals(1153, b.ringsOf(1));
        assertEquals(0, b.dataPagesFor(1154, 16));
        assertTrue(b.explanation().contains("516 × 2 CPUs + ulimit -l 8192 KiB"), b.explanation());
    }

    @Test
    void noLimitKeepsThePreferredRing() {
        PerfLockBudget b = PerfLockBudget.of(516, 2, -1);
        assertTrue(b.isUnlimited());
        assertEquals(16, b.dataPagesFor(100_000, 16));
        assertEquals(16, PerfLockBudget.unlimited("root").dataPagesFor(4096, 16));
    }

    @Test
    void parsesTheKernelsFormats() {
        assertEquals(2, CpuPlacement.parseList("0-1").cardinality()); // the online list, as the budget counts it
        assertEquals(7, CpuPlacement.parseList("0-3,8,10-11").cardinality());
        assertEquals(1, CpuPlacement.parseList("5").cardinality());
        String limits = "Limit                     Soft Limit           Hard Limit           Units     \n"
                + "Max open files            20000                20000                files     \n"
                + "Max locked memory         8388608              8388608              bytes     \n";
        assertEquals(OptionalLong.of(8388608L), ProcessLimits.soft(limits, "Max locked memory"));
        assertEquals(OptionalLong.of(ProcessLimits.UNLIMITED),
                ProcessLimits.soft("Max locked memory         unlimited            unlimited            bytes", "Max locked memory"));
        assertEquals(OptionalLong.empty(), ProcessLimits.soft(limits.lines().limit(2).collect(java.util.stream.Collectors.joining("\n")), "Max locked memory"));

        assertTrue(Capabilities.effective("Name:\tjava\nCapEff:\t0000000000004000\n", Capabilities.CAP_IPC_LOCK));
        assertFalse(Capabilities.effective("Name:\tjava\nCapEff:\t000001ffffffbfff\n", Capabilities.CAP_IPC_LOCK));
        assertTrue(Capabilities.effective("CapEff:\t000001ffffffbfff\n", 13));
        assertFalse(Capabilities.effective("Name:\tjava\n", 13));
    }

    @Test
    void readFromTheKernelsFiles() {
        Map<String, String> f = new HashMap<>(Map.of(
                "/proc/self/status", "Name:\tjava\nCapEff:\t0000000000000000\n",
                "/proc/sys/kernel/perf_event_paranoid", "2\n",
                "/proc/sys/kernel/perf_event_mlock_kb", "516\n",
                "/sys/devices/system/cpu/online", "0-1\n",
                "/proc/self/limits", "Limit                     Soft Limit           Hard Limit           Units     \n"
                        + "Max locked memory         8388608              8388608              bytes     \n"));
        assertEquals(2306, PerfLockBudget.read(p -> Optional.ofNullable(f.get(p))).pages());
        f.put("/proc/sys/kernel/perf_event_paranoid", "-1\n");
        assertTrue(PerfLockBudget.read(p -> Optional.ofNullable(f.get(p))).isUnlimited());
        f.put("/proc/sys/kernel/perf_event_paranoid", "2\n");
        f.put("/proc/self/status", "CapEff:\t0000000000004000\n");
        assertEquals("the process has CAP_IPC_LOCK", PerfLockBudget.read(p -> Optional.ofNullable(f.get(p))).explanation());
        f.put("/proc/self/status", "CapEff:\t0000000000000000\n");
        f.remove("/proc/self/limits");
        assertTrue(PerfLockBudget.read(p -> Optional.ofNullable(f.get(p))).isUnlimited());
    }
}
