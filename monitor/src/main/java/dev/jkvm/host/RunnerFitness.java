package dev.jkvm.host;

import dev.jkvm.sched.CpuPlacement;
import dev.jkvm.sched.PerfLockBudget;
import dev.jkvm.sched.SchedRecorder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whether a machine is fit for regression runs, and why not: one finding per condition, each OK,
 * WARN or FAIL with the fix. FAIL means results from this machine cannot be trusted or not recorded
 * (KVM unusable, no vendor module, context switches not recordable, no isolated CPU, a governor
 * that scales the frequency); WARN means a part of the evidence is missing or the timing may be
 * disturbed (no sched_switch copy or kprobes, not a hardware vendor module, frequency not under
 * control, SMT on, THP always). Fit = no FAIL. Pure: decided from the kernel files' text and the
 * KVM verdict, so every verdict is unit-tested on captured inputs.
 */
public final class RunnerFitness {
    public enum Level { OK, WARN, FAIL }

    /** One condition: what was found and, unless OK, what to do about it. */
    public record Finding(String check, Level level, String found, String fix) {
        public String line() {
            String tag = switch (level) {
                case OK -> "ok  ";
                case WARN -> "WARN";
                case FAIL -> "FAIL";
            };
            return String.format("%s  %-20s %s%s", tag, check, found, fix.isEmpty() ? "" : " — fix: " + fix);
        }
    }

    static final String SYS_CPU = "/sys/devices/system/cpu/";

    private RunnerFitness() {}

    /**
     * @param kvmUsable whether /dev/kvm can create a VM ({@code KvmAvailability})
     * @param kvmFinding what the KVM probe said: the API version when usable, the reason and advice when not
     */
    public static List<Finding> assess(HostFiles files, boolean kvmUsable, String kvmFinding) {
        boolean root = effectiveUid(files).map(uid -> uid == 0).orElse(false);
        List<Finding> all = new ArrayList<>();
        all.add(kvmUsable ? ok("KVM", kvmFinding) : new Finding("KVM", Level.FAIL, "not usable", kvmFinding));
        all.add(vendorModule(files));
        all.add(perfParanoid(files, root));
        all.add(perfRings(files));
        all.add(tracefs(files, root));
        all.add(kprobes(files));
        all.add(isolatedCpu(files));
        all.add(governor(files));
        all.add(smt(files));
        all.add(thp(files));
        all.add(autogroup(files));
        return all;
    }

    public static boolean fit(List<Finding> findings) {
        return findings.stream().noneMatch(f -> f.level() == Level.FAIL);
    }

    private static Finding ok(String check, String found) {
        return new Finding(check, Level.OK, found, "");
    }

    /** The effective uid from /proc/self/status ("Uid: real effective saved fs"). */
    static Optional<Integer> effectiveUid(HostFiles files) {
        return files.read("/proc/self/status").flatMap(s -> s.lines().filter(l -> l.startsWith("Uid:")).findFirst())
                .map(l -> l.substring(4).strip().split("\\s+")).filter(f -> f.length >= 2).map(f -> Integer.parseInt(f[1]));
    }

    static Finding vendorModule(HostFiles files) {
        String module = HostFacts.vendorModule(files);
        if (module.equals("none")) {
            return new Finding("vendor module", Level.FAIL, "none in /sys/module", "load kvm_intel or kvm_amd (modprobe kvm_intel / kvm_amd)");
        }
        List<String> modules = List.of(module.split(","));
        if (modules.contains("kvm_intel") || modules.contains("kvm_amd")) return ok("vendor module", module);
        return new Finding("vendor module", Level.WARN, module + " (not kvm_intel or kvm_amd: exits and their costs differ from hardware KVM)",
                "run regressions on a machine with kvm_intel or kvm_amd");
    }

    static Finding perfParanoid(HostFiles files, boolean root) {
        Optional<String> text = files.read("/proc/sys/kernel/perf_event_paranoid").map(String::strip);
        if (text.isEmpty()) {
            return new Finding("perf_event_paranoid", Level.FAIL, "missing: this kernel has no perf events",
                    "a kernel with CONFIG_PERF_EVENTS (jkvm records switches with perf_event_open)");
        }
        int level = Integer.parseInt(text.get());
        if (root) return ok("perf_event_paranoid", level + " (running as root: no limit)");
        if (level <= 2) return ok("perf_event_paranoid", level + " (context switches of jkvm's own threads are recordable)");
        return new Finding("perf_event_paranoid", Level.FAIL, level + ": unprivileged context-switch records are refused",
                "sysctl kernel.perf_event_paranoid=2, or run as root");
    }

    /** vCPUs a regression run may record with full perf rings before they are made smaller (the scale experiments run 256). */
    static final int FULL_RINGS_WANTED = 256;

    /** How many vCPUs' perf rings fit in the memory this process may lock for them ({@link PerfLockBudget}). */
    static Finding perfRings(HostFiles files) {
        PerfLockBudget budget = PerfLockBudget.read(files::read);
        if (budget.isUnlimited()) return ok("perf rings", "no locked-memory limit (" + budget.explanation() + ")");
        String found = String.format("%s lockable: %d vCPUs with full rings (%d KiB each), up to %d with the smallest (8 KiB)",
                budget.explanation().replaceFirst(" KiB: ", " KiB (") + ")", budget.ringsOf(SchedRecorder.RING_PAGES),
                PerfLockBudget.ringPages(SchedRecorder.RING_PAGES) * 4, budget.ringsOf(1));
        if (budget.ringsOf(SchedRecorder.RING_PAGES) >= FULL_RINGS_WANTED) return ok("perf rings", found);
        return new Finding("perf rings", Level.WARN, found + ": larger runs get smaller rings, which overflow (lose records) sooner",
                "ulimit -l unlimited (limits.conf memlock) or run as root");
    }

    static Finding tracefs(HostFiles files, boolean root) {
        boolean mounted = files.read("/proc/mounts").map(m -> m.lines().anyMatch(l -> l.split(" ").length > 2 && l.split(" ")[2].equals("tracefs")))
                .orElse(false);
        if (!mounted) {
            return new Finding("tracefs", Level.WARN, "not mounted: no sched_switch copy (foreign time from /proc/stat, switch times from perf)",
                    "mount -t tracefs nodev /sys/kernel/tracing (as root)");
        }
        if (!root) {
            return new Finding("tracefs", Level.WARN, "mounted, but the CPU-wide sched_switch tracepoint needs root",
                    "run jkvm as root (or with CAP_PERFMON)");
        }
        return ok("tracefs", "mounted (sched_switch copy on the experiment CPU)");
    }

    static Finding kprobes(HostFiles files) {
        if (files.exists("/sys/bus/event_source/devices/kprobe")) return ok("kprobes", "kprobe PMU present (kvm_sched_in/out, vCPU loads)");
        return new Finding("kprobes", Level.WARN, "no kprobe PMU at /sys/bus/event_source/devices/kprobe: no kernel ground truth of vCPU loads",
                "a kernel with CONFIG_KPROBES and CONFIG_KPROBE_EVENTS");
    }

    static Finding isolatedCpu(HostFiles files) {
        String isolated = HostFacts.cpuList(files, SYS_CPU + "isolated");
        String nohz = HostFacts.cpuList(files, SYS_CPU + "nohz_full");
        boolean some = !CpuPlacement.parseList(listOrEmpty(isolated)).isEmpty() || !CpuPlacement.parseList(listOrEmpty(nohz)).isEmpty();
        String found = "isolcpus: " + isolated + ", nohz_full: " + nohz;
        if (some) return ok("isolated CPU", found + " (run with --cpu on one of them)");
        return new Finding("isolated CPU", Level.FAIL, found + ": every CPU takes other tasks",
                "boot with isolcpus=C nohz_full=C rcu_nocbs=C and run experiments with --cpu C");
    }

    private static String listOrEmpty(String cpuList) {
        return cpuList.equals("none") || cpuList.equals(HostFacts.NOT_EXPOSED) ? "" : cpuList;
    }

    static Finding governor(HostFiles files) {
        List<String> cpus = files.list(SYS_CPU).stream().filter(n -> n.matches("cpu\\d+")).toList();
        List<String> notPerformance = new ArrayList<>();
        int seen = 0;
        for (String cpu : cpus) {
            Optional<String> g = files.read(SYS_CPU + cpu + "/cpufreq/scaling_governor").map(String::strip);
            if (g.isEmpty()) continue;
            seen++;
            if (!g.get().equals("performance")) notPerformance.add(cpu + ": " + g.get());
        }
        if (seen == 0) {
            return new Finding("governor", Level.WARN, "cpufreq not exposed (a VM, or cpufreq disabled): the frequency is not under this machine's control",
                    "on bare metal, enable cpufreq and set the performance governor");
        }
        if (!notPerformance.isEmpty()) {
            return new Finding("governor", Level.FAIL, String.join(", ", notPerformance), "cpupower frequency-set -g performance");
        }
        return ok("governor", "performance on all " + seen + " CPUs");
    }

    static Finding smt(HostFiles files) {
        String control = files.read(SYS_CPU + "smt/control").map(String::strip).orElse(HostFacts.NOT_EXPOSED);
        if (control.equals("on")) {
            return new Finding("SMT", Level.WARN, "on: the experiment CPU's sibling shares its core",
                    "echo off > /sys/devices/system/cpu/smt/control, or isolate both siblings and leave one idle (jkvm run reports the sibling's load)");
        }
        return ok("SMT", control);
    }

    static Finding thp(HostFiles files) {
        String thp = HostFacts.selected(files.read("/sys/kernel/mm/transparent_hugepage/enabled").map(String::strip).orElse(HostFacts.NOT_EXPOSED));
        if (thp.equals("always")) {
            return new Finding("THP", Level.WARN, "always: khugepaged may collapse pages during a run",
                    "echo madvise > /sys/kernel/mm/transparent_hugepage/enabled");
        }
        return ok("THP", thp);
    }

    /**
     * With autogroup the fair scheduler shares a CPU between sessions first, then between a session's
     * tasks: a busy process of another session gets as much of the experiment CPU as all of jkvm's
     * vCPU threads together (seen here while a sandbox's QEMU ran beside a 64-VM run).
     */
    static Finding autogroup(HostFiles files) {
        String enabled = files.read("/proc/sys/kernel/sched_autogroup_enabled").map(String::strip).orElse(HostFacts.NOT_EXPOSED);
        if (enabled.equals("1")) {
            return new Finding("autogroup", Level.WARN, "on: another session's task gets as much of a CPU as all of jkvm's threads",
                    "sysctl kernel.sched_autogroup_enabled=0 (or boot with noautogroup), or isolate the experiment CPU");
        }
        return ok("autogroup", enabled.equals("0") ? "off" : enabled);
    }
}
