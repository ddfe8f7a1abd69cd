package dev.jkvm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.host.RunnerFitness.Finding;
import dev.jkvm.host.RunnerFitness.Level;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The runner verdicts on captured machines (see HostFactsTest): which conditions FAIL, which WARN, and the fixes. */
class RunnerFitnessTest {
    private static final String ROOT = "Name:\tjava\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n";
    private static final String USER = "Name:\tjava\nUid:\t1000\t1000\t1000\t1000\n";
    private static final String MOUNTS_WITH_TRACEFS = "proc /proc proc rw 0 0\nnodev /sys/kernel/tracing tracefs rw,relatime 0 0\n";

    private static Map<String, Level> levels(List<Finding> findings) {
        return findings.stream().collect(Collectors.toMap(Finding::check, Finding::level));
    }

    /** This project's development machine as captured: kvm_pvm, root, tracefs mounted, no kprobes, no isolated CPU. */
    static Map<String, String> developmentMachine() {
        Map<String, String> f = HostFactsTest.kvmPvmMachine();
        f.put("/proc/self/status", ROOT);
        f.put("/proc/sys/kernel/perf_event_paranoid", "2\n");
        f.put("/proc/mounts", MOUNTS_WITH_TRACEFS);
        f.put("/sys/devices/system/cpu/cpu0/online", "1\n");
        f.put("/sys/devices/system/cpu/cpu1/online", "1\n");
        f.put("/proc/sys/kernel/sched_autogroup_enabled", "1\n");
        return f;
    }

    static Map<String, String> intelRunner() {
        Map<String, String> f = HostFactsTest.intelRunner();
        f.put("/proc/self/status", ROOT);
        f.put("/proc/sys/kernel/perf_event_paranoid", "4\n");
        f.put("/proc/mounts", MOUNTS_WITH_TRACEFS);
        f.put("/sys/bus/event_source/devices/kprobe/type", "9\n");
        f.put("/sys/devices/system/cpu/cpu2/cpufreq/scaling_governor", "performance\n");
        return f;
    }

    @Test
    void theDevelopmentMachineIsUnfitForWantOfAnIsolatedCpu() {
        List<Finding> f = RunnerFitness.assess(HostFiles.of(developmentMachine()), true, "usable (API version 12)");
        assertEquals(Map.ofEntries(Map.entry("KVM", Level.OK), Map.entry("vendor module", Level.WARN), Map.entry("perf_event_paranoid", Level.OK),
                Map.entry("perf rings", Level.OK), Map.entry("tracefs", Level.OK), Map.entry("kprobes", Level.WARN),
                Map.entry("isolated CPU", Level.FAIL), Map.entry("governor", Level.WARN), Map.entry("SMT", Level.OK), Map.entry("THP", Level.OK),
                Map.entry("autogroup", Level.WARN)), levels(f));
        assertFalse(RunnerFitness.fit(f));
        Finding isolated = f.stream().filter(x -> x.check().equals("isolated CPU")).findFirst().orElseThrow();
        assertTrue(isolated.line().startsWith("FAIL  isolated CPU         isolcpus: none, nohz_full: not exposed"), isolated.line());
        assertTrue(isolated.line().contains("— fix: boot with isolcpus=C nohz_full=C"), isolated.line());
    }

    @Test
    void anIntelRunnerWithAnIsolatedCpuIsFitWithWarnings() {
        List<Finding> f = RunnerFitness.assess(HostFiles.of(intelRunner()), true, "usable (API version 12)");
        Map<String, Level> l = levels(f);
        assertTrue(RunnerFitness.fit(f), f.toString());
        assertEquals(Level.OK, l.get("vendor module"));
        assertEquals(Level.OK, l.get("perf_event_paranoid"), "paranoid 4 does not matter to root");
        assertEquals(Level.OK, l.get("kprobes"));
        assertEquals(Level.OK, l.get("isolated CPU"));
        assertEquals(Level.OK, l.get("governor"));
        assertEquals(Level.WARN, l.get("SMT"));
        assertEquals(Level.WARN, l.get("THP"));
        assertEquals(Level.OK, l.get("autogroup"), "not exposed: a kernel without CONFIG_SCHED_AUTOGROUP");
    }

    @Test
    void autogroupOnIsAWarningWithItsFix() {
        Map<String, String> m = intelRunner();
        m.put("/proc/sys/kernel/sched_autogroup_enabled", "1\n");
        Finding on = RunnerFitness.autogroup(HostFiles.of(m));
        assertEquals(Level.WARN, on.level());
        assertTrue(on.line().contains("— fix: sysctl kernel.sched_autogroup_enabled=0"), on.line());
        m.put("/proc/sys/kernel/sched_autogroup_enabled", "0\n");
        assertEquals(Level.OK, RunnerFitness.autogroup(HostFiles.of(m)).level());
    }

    @Test
    void whatMakesARunnerUnfit() {
        Map<String, String> m = intelRunner();
        m.put("/proc/self/status", USER);
        m.put("/proc/sys/kernel/perf_event_paranoid", "3\n");
        m.put("/sys/devices/system/cpu/cpu2/cpufreq/scaling_governor", "powersave\n");
        m.remove("/proc/mounts");
        m.keySet().removeIf(p -> p.startsWith("/sys/module/kvm_intel"));
        List<Finding> f = RunnerFitness.assess(HostFiles.of(m), false, "/dev/kvm does not exist: load kvm_intel or kvm_amd");
        Map<String, Level> l = levels(f);
        assertEquals(Level.FAIL, l.get("KVM"));
        assertEquals(Level.FAIL, l.get("vendor module"));
        assertEquals(Level.FAIL, l.get("perf_event_paranoid"));
        assertEquals(Level.WARN, l.get("tracefs"));
        assertEquals(Level.FAIL, l.get("governor"));
        Finding governor = f.stream().filter(x -> x.check().equals("governor")).findFirst().orElseThrow();
        assertEquals("cpu2: powersave", governor.found());
        assertEquals("cpupower frequency-set -g performance", governor.fix());
        Finding paranoid = f.stream().filter(x -> x.check().equals("perf_event_paranoid")).findFirst().orElseThrow();
        assertEquals("sysctl kernel.perf_event_paranoid=2, or run as root", paranoid.fix());
        assertFalse(RunnerFitness.fit(f));
    }

    @Test
    void tracefsMountedButNotRootWarns() {
        Map<String, String> m = developmentMachine();
        m.put("/proc/self/status", USER);
        Map<String, Level> l = levels(RunnerFitness.assess(HostFiles.of(m), true, "usable"));
        assertEquals(Level.WARN, l.get("tracefs"));
        assertEquals(Level.OK, l.get("perf_event_paranoid"), "2 lets a user record its own threads");
    }

    /** An unprivileged user of this machine as captured (jk, 2026-11-27): 135 full rings fit, the scale runs need 256. */
    @Test
    void perfRingsWithinAUsersLockedMemory() {
        Map<String, String> m = developmentMachine();
        m.put("/proc/self/status", USER + "CapEff:\t0000000000000000\n");
        m.put("/proc/sys/kernel/perf_event_mlock_kb", "516\n");
        m.put("/sys/devices/system/cpu/online", "0-1\n");
        m.put("/proc/self/limits", "Limit                     Soft Limit           Hard Limit           Units     \n"
                + "Max locked memory         8388608              8388608              bytes     \n");
        Finding rings = RunnerFitness.perfRings(HostFiles.of(m));
        assertEquals(Level.WARN, rings.level(), rings.line());
        assertEquals("9224 KiB (kernel.perf_event_mlock_kb 516 × 2 CPUs + ulimit -l 8192 KiB) lockable: 135 vCPUs with full rings"
                + " (68 KiB each), up to 1153 with the smallest (8 KiB): larger runs get smaller rings, which overflow (lose records) sooner",
                rings.found());
        assertEquals("ulimit -l unlimited (limits.conf memlock) or run as root", rings.fix());

        m.put("/proc/self/limits", "Max locked memory         67108864             67108864             bytes     \n");
        assertEquals(Level.OK, RunnerFitness.perfRings(HostFiles.of(m)).level(), "64 MiB hold 256 full rings");
        m.put("/proc/self/limits", "Max locked memory         unlimited            unlimited            bytes     \n");
        assertEquals("no locked-memory limit (ulimit -l is unlimited)", RunnerFitness.perfRings(HostFiles.of(m)).found());
        m.put("/proc/self/status", ROOT + "CapEff:\t000001fffeffffff\n");
        assertEquals("no locked-memory limit (the process has CAP_IPC_LOCK)", RunnerFitness.perfRings(HostFiles.of(m)).found());
    }
}
