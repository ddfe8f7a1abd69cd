package dev.jkvm.analysis.expect;

import dev.jkvm.analysis.Dist;
import dev.jkvm.analysis.RunSummary;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The metrics expectations can name, each one entry of {@link #CATALOGUE}. A metric that is not in
 * the recording resolves to {@link Measured.NotRecorded}, so an expectation on it fails with the
 * reason instead of passing on a zero. To add one, add an entry.
 */
public final class Metrics {
    private static final Map<String, Metric> CATALOGUE = new LinkedHashMap<>();

    /**
     * The exit reasons an expectation can name: the KVM_EXIT_* names jkvm gives exits (its ExitReason,
     * which {@code ExitReasonNamesTest} holds this list to), and "other" for codes it has no name for.
     * A name outside them is a mistake (exits(vm0, HTL) counted 0 and passed "== 0").
     */
    public static final List<String> EXIT_REASONS = List.of("UNKNOWN", "EXCEPTION", "IO", "HYPERCALL", "DEBUG", "HLT", "MMIO",
            "IRQ_WINDOW_OPEN", "SHUTDOWN", "FAIL_ENTRY", "INTR", "SET_TPR", "TPR_ACCESS", "NMI", "INTERNAL_ERROR", "WATCHDOG",
            "SYSTEM_EVENT", "IOAPIC_EOI", "HYPERV", "X86_RDMSR", "X86_WRMSR", "DIRTY_RING_FULL", "AP_RESET_HOLD", "X86_BUS_LOCK", "XEN",
            "NOTIFY", "other");

    /** Whether an exit reason as a recording names it matches one an expectation names: "other" also takes "reason 39" (a code without a name). */
    private static boolean matches(String recorded, String named) {
        return recorded.equalsIgnoreCase(named) || named.equalsIgnoreCase("other") && recorded.startsWith("reason ");
    }

    /** Whether {@code name} is one of {@link #EXIT_REASONS}, matched case-insensitively. */
    static boolean isExitReason(String name) {
        return EXIT_REASONS.stream().anyMatch(r -> r.equalsIgnoreCase(name));
    }

    static {
        scheduling("share", Dimension.FRACTION, Metric.Params.VM, "the VM's time on CPU / the window",
                (r, a) -> select(r, a.get(0)) instanceof Selected s ? Measured.of(s.sum(RunSummary.VcpuSummary::share)) : missing(r, a.get(0)));
        scheduling("split", Dimension.FRACTION, Metric.Params.VM, "the VM's part of all vCPUs' time on CPU (what share is when nothing else runs)",
                Metrics::split);
        scheduling("ratio", Dimension.RATIO, Metric.Params.TWO_VMS, "share of the first VM / share of the second (3.06 for 3.06:1)", Metrics::ratio);
        scheduling("fairness", Dimension.FRACTION, Metric.Params.NONE, "Jain's fairness index over the vCPUs' shares (1 = equal)",
                (r, a) -> Measured.of(r.jainIndex()));
        scheduling("fairness.weighted", Dimension.FRACTION, Metric.Params.NONE, "Jain's index over share / CFS weight of the nice value (1 = split as the weights say)",
                (r, a) -> Measured.of(r.weightedJainIndex()));
        distribution("slice", "time on CPU from a sched-in to the next sched-out", RunSummary::slices, RunSummary.VcpuSummary::slices);
        distribution("wait", "runnable wait from a preempted sched-out to the next sched-in", RunSummary::waits, RunSummary.VcpuSummary::waits);
        distribution("runnable", "the same as wait (perf sched's delay)", RunSummary::waits, RunSummary.VcpuSummary::waits);
        counter("switches", "sched-ins", RunSummary.VcpuSummary::schedIns);
        counter("preempted", "sched-outs while runnable (preempted)", RunSummary.VcpuSummary::preemptedOuts);
        counter("voluntary", "sched-outs that blocked (voluntary)", RunSummary.VcpuSummary::voluntaryOuts);
        scheduling("switches.rate", Dimension.RATIO, Metric.Params.NONE, "vCPU sched-ins per second of the window",
                (r, a) -> Measured.of(r.switchesPerSecond()));
        add("exits", Dimension.COUNT, Metric.Params.VM_AND_REASON, "VM exits (of one reason: IO, HLT, MMIO, …)", Metrics::exits);
        scheduling("lost", Dimension.COUNT, Metric.Params.NONE, "switch records the kernel dropped", (r, a) -> Measured.of(r.health().lostRecords()));
        scheduling("late", Dimension.COUNT, Metric.Params.NONE, "switch records committed more than 50 ms late or marked late",
                (r, a) -> Measured.of(r.health().lateRecords()));
        scheduling("inconsistent", Dimension.COUNT, Metric.Params.NONE, "switch pairs that contradict each other",
                (r, a) -> Measured.of(r.health().inconsistentSwitches()));
        guest("steal", Dimension.TIME, "steal time the guest saw (MSR_KVM_STEAL_TIME)", RunSummary.GuestView::stealNanos, "jkvm.StealTime");
        guest("gaps", Dimension.COUNT, "TSC gaps the guest saw (tsc-probe)", RunSummary.GuestView::gaps, "jkvm.GuestGap");
        guest("gap.total", Dimension.TIME, "time lost in TSC gaps (tsc-probe)", RunSummary.GuestView::gapTotalNanos, "jkvm.GuestGap");
        guest("gap.max", Dimension.TIME, "longest TSC gap (tsc-probe)", RunSummary.GuestView::gapMaxNanos, "jkvm.GuestGap");
        add("foreign.time", Dimension.FRACTION, Metric.Params.NONE,
                "foreign tasks' time on the experiment CPU / the window (sched_switch copy, else /proc/stat)",
                (r, a) -> r.hygiene().measured() ? Measured.of(r.hygiene().foreignFraction())
                        : Measured.missing("no foreign-time measurement in the recording (jkvm.RunHygiene or sched_switch)"));
        add("sibling.load", Dimension.FRACTION, Metric.Params.NONE, "the busiest SMT sibling's busy fraction of the experiment CPU",
                (r, a) -> Double.isNaN(r.hygiene().siblingLoad()) ? Measured.missing("no SMT sibling load in the recording (no sibling, or no jkvm.RunHygiene)")
                        : Measured.of(r.hygiene().siblingLoad()));
        add("frequency.changes", Dimension.COUNT, Metric.Params.NONE, "changes of the experiment CPU's frequency during the run",
                (r, a) -> r.hygiene().frequencyChanges() < 0 ? Measured.missing("the CPU frequency was not exposed or not sampled")
                        : Measured.of(r.hygiene().frequencyChanges()));
        scheduling("window", Dimension.TIME, Metric.Params.NONE, "from the first to the last vCPU switch", (r, a) -> Measured.of(r.windowNanos()));
    }

    private Metrics() {}

    /** The metric of that name, or null. */
    public static Metric get(String name) {
        return CATALOGUE.get(name);
    }

    public static List<Metric> all() {
        return Collections.unmodifiableList(new ArrayList<>(CATALOGUE.values()));
    }

    private static void add(String name, Dimension d, Metric.Params p, String help, Metric.Resolver r) {
        if (CATALOGUE.put(name, new Metric(name, d, p, help, r)) != null) throw new IllegalStateException("metric " + name + " twice");
    }

    /**
     * A metric of the vCPUs' switches: not recorded when no vCPU of the recording has a sched-in, so
     * a file without them (one written without jkvm's timeline chunks after a full disk, say) does not
     * pass {@code fairness >= 0.95} or {@code lost == 0} on the zeros and ones of an empty schedule.
     */
    private static void scheduling(String name, Dimension d, Metric.Params p, String help, Metric.Resolver r) {
        add(name, d, p, help, (run, a) -> {
            if (run.hasSwitches()) return r.resolve(run, a);
            List<String> missing = run.health().missingSources();
            return Measured.missing("no vCPU sched-in/out records in the recording"
                    + (missing.isEmpty() ? "" : " (missing: " + String.join("; ", missing) + ")"));
        });
    }

    /** name.p50/.p90/.p99/.max (times) and name.count, run-wide or for one VM. */
    private static void distribution(String name, String what, Function<RunSummary, Dist> runWide, Function<RunSummary.VcpuSummary, Dist> perVcpu) {
        Map<String, ToLongFunction<Dist>> stats = new LinkedHashMap<>();
        stats.put("p50", Dist::p50);
        stats.put("p90", Dist::p90);
        stats.put("p99", Dist::p99);
        stats.put("max", Dist::max);
        stats.forEach((stat, f) -> scheduling(name + "." + stat, Dimension.TIME, Metric.Params.OPTIONAL_VM, stat + " of " + what,
                (r, a) -> dist(r, a, runWide, perVcpu, name, d -> d.count() == 0 ? null : (double) f.applyAsLong(d))));
        scheduling(name + ".count", Dimension.COUNT, Metric.Params.OPTIONAL_VM, "number of " + name + "s",
                (r, a) -> dist(r, a, runWide, perVcpu, name, d -> (double) d.count()));
    }

    private static Measured dist(RunSummary r, List<String> a, Function<RunSummary, Dist> runWide,
            Function<RunSummary.VcpuSummary, Dist> perVcpu, String name, Function<Dist, Double> stat) {
        Dist d;
        String of;
        if (a.isEmpty()) {
            d = runWide.apply(r);
            of = "the run";
        } else {
            if (!(select(r, a.get(0)) instanceof Selected s)) return missing(r, a.get(0));
            if (s.vcpus().size() != 1) return Measured.missing(a.get(0) + " has " + s.vcpus().size() + " vCPUs: name one (" + s.vcpus().get(0).name() + ")");
            d = perVcpu.apply(s.vcpus().get(0));
            of = a.get(0);
        }
        Double v = stat.apply(d);
        return v == null ? Measured.missing("no " + name + "s of " + of + " in the recording") : Measured.of(v);
    }

    private static void counter(String name, String what, ToLongFunction<RunSummary.VcpuSummary> f) {
        scheduling(name, Dimension.COUNT, Metric.Params.OPTIONAL_VM, what + " (all vCPUs, or one VM's)", (r, a) -> {
            if (a.isEmpty()) return Measured.of(r.vcpus().stream().mapToLong(f).sum());
            return select(r, a.get(0)) instanceof Selected s ? Measured.of(s.vcpus().stream().mapToLong(f).sum()) : missing(r, a.get(0));
        });
    }

    /** A value of the guest's own view; -1 in the summary means the guest did not record it. */
    private static void guest(String name, Dimension d, String what, ToLongFunction<RunSummary.GuestView> f, String event) {
        add(name, d, Metric.Params.VM, what, (r, a) -> {
            if (!(select(r, a.get(0)) instanceof Selected s)) return missing(r, a.get(0));
            long sum = 0;
            boolean any = false;
            for (RunSummary.VcpuSummary v : s.vcpus()) {
                long x = f.applyAsLong(v.guest());
                if (x >= 0) {
                    sum += x;
                    any = true;
                }
            }
            return any ? Measured.of(sum) : Measured.missing("no " + event + " events of " + a.get(0) + " in the recording");
        });
    }

    /** Unlike share, untouched by foreign tasks and idle time: the split of the CPU time the vCPUs got among them. */
    private static Measured split(RunSummary r, List<String> a) {
        if (!(select(r, a.get(0)) instanceof Selected s)) return missing(r, a.get(0));
        long all = r.vcpus().stream().mapToLong(RunSummary.VcpuSummary::runNanos).sum();
        if (all == 0) return Measured.missing("no vCPU ran in the recording");
        return Measured.of(s.vcpus().stream().mapToLong(RunSummary.VcpuSummary::runNanos).sum() / (double) all);
    }

    private static Measured ratio(RunSummary r, List<String> a) {
        if (!(select(r, a.get(0)) instanceof Selected x)) return missing(r, a.get(0));
        if (!(select(r, a.get(1)) instanceof Selected y)) return missing(r, a.get(1));
        double den = y.sum(RunSummary.VcpuSummary::share);
        if (den == 0) return Measured.missing(a.get(1) + " never ran (share 0): no ratio");
        return Measured.of(x.sum(RunSummary.VcpuSummary::share) / den);
    }

    /**
     * Exits, matched by reason case-insensitively. When the recording has exits of a VM but none of a
     * reason, that reason's count is 0; with no exit data at all for the VM it is not recorded.
     */
    private static Measured exits(RunSummary r, List<String> a) {
        List<RunSummary.VcpuSummary> vcpus;
        String of;
        if (a.isEmpty()) {
            vcpus = r.vcpus();
            of = "any VM";
        } else {
            if (!(select(r, a.get(0)) instanceof Selected s)) return missing(r, a.get(0));
            vcpus = s.vcpus();
            of = a.get(0);
        }
        if (vcpus.stream().allMatch(v -> v.exits().isEmpty())) {
            return Measured.missing("no exit events or exit statistics of " + of + " in the recording");
        }
        String reason = a.size() > 1 ? a.get(1) : null;
        long n = 0;
        for (RunSummary.VcpuSummary v : vcpus) {
            for (RunSummary.ExitSummary e : v.exits()) if (reason == null || matches(e.reason(), reason)) n += e.count();
        }
        return Measured.of(n);
    }

    /** The vCPUs a VM argument names: all of vm1, or vm1/0 alone. */
    record Selected(List<RunSummary.VcpuSummary> vcpus) {
        double sum(ToDoubleFunction<RunSummary.VcpuSummary> f) {
            return vcpus.stream().mapToDouble(f).sum();
        }
    }

    private static Object select(RunSummary r, String vm) {
        // A VM, or one vCPU as vm1/2: the parser writes vm1/cpu2 that way too (the tables' name of an SMP VM's vCPU).
        List<RunSummary.VcpuSummary> out = r.vcpus().stream().filter(v -> v.vm().equals(vm) || (v.vm() + "/" + v.vcpu()).equals(vm)).toList();
        return out.isEmpty() ? null : new Selected(out);
    }

    private static Measured missing(RunSummary r, String vm) {
        List<String> names = r.vcpus().stream().map(RunSummary.VcpuSummary::vm).distinct().toList();
        return Measured.missing(vm + " is not in the recording (it has " + (names.isEmpty() ? "no VMs" : String.join(", ", names)) + ")");
    }
}
