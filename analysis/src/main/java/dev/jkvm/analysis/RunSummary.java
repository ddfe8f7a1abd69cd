package dev.jkvm.analysis;

import java.util.List;

/**
 * What one recording says about its run, as `jkvm analyze` reports it. Times are nanoseconds of
 * CLOCK_MONOTONIC (the recording's kernelTime fields); shares are fractions of the window from the
 * first to the last vCPU switch in the recording. With the sched_switch copy, the vCPUs' run time,
 * the foreign tasks' and the idle time (idleNanos; -1 without the copy) add up to the window on each
 * CPU. {@code slices} and {@code waits} are every vCPU's slices and runnable waits together (run-wide
 * percentiles, not an average of the vCPUs').
 */
public record RunSummary(
        String source,
        long windowStart,
        long windowEnd,
        List<VcpuSummary> vcpus,
        double jainIndex,
        double weightedJainIndex,
        double switchesPerSecond,
        Dist vcpuToVcpuGap,
        List<ForeignTask> foreignTasks,
        long idleNanos,
        Health health,
        List<ReloadLatency> reloadLatency,
        Host host,
        Hygiene hygiene,
        Dist slices,
        Dist waits) {

    public long windowNanos() {
        return Math.max(0, windowEnd - windowStart);
    }

    /** Whether any vCPU has a sched-in: without one (a recording without jkvm's timeline chunks) the schedule's numbers are not measured. */
    public boolean hasSwitches() {
        return vcpus.stream().anyMatch(v -> v.schedIns() > 0);
    }

    /** One vCPU: its share, slices, waits, switch-outs and classes, exits, and what its guest saw. */
    public record VcpuSummary(
            String vm,
            int vcpu,
            int tid,
            int cpu,
            int nice,
            double share,
            long runNanos,
            long waitNanos,
            long sleepNanos,
            Dist slices,
            Dist waits,
            long schedIns,
            long preemptedOuts,
            long voluntaryOuts,
            long firstRuns,
            long sameVcpuResumed,
            long fromOtherVcpu,
            long unclassified,
            long foreignWhileRunnableNanos,
            List<ExitSummary> exits,
            GuestView guest,
            String result,
            long progress,
            int vmVcpus,
            Dist wakeupLatency,
            long missedTicks) {

        /** The longest single runnable wait ("max delay" in perf sched). */
        public long maxDelayNanos() {
            return waits.max();
        }

        /** {@code vm0/0} for a VM of one vCPU (as before SMP VMs), {@code vm0/cpu1} for a vCPU of an SMP VM. */
        public String name() {
            return vmVcpus > 1 ? vm + "/cpu" + vcpu : vm + "/" + vcpu;
        }

        /** Voluntary switch-outs (the thread blocked: HLT, a wait in the monitor) as a fraction of all; -1 without any. */
        public double voluntaryShare() {
            long outs = voluntaryOuts + preemptedOuts;
            return outs == 0 ? -1 : (double) voluntaryOuts / outs;
        }
    }

    /** A VM's share of the window: the sum of its vCPUs' shares (more than 1 when its vCPUs ran on several CPUs at once). */
    public record VmShare(String vm, int vcpus, double share) {}

    /** Every VM's share, in the order of {@link #vcpus}. */
    public List<VmShare> vmShares() {
        java.util.Map<String, double[]> byVm = new java.util.LinkedHashMap<>();
        for (VcpuSummary v : vcpus) {
            double[] acc = byVm.computeIfAbsent(v.vm(), k -> new double[2]);
            acc[0] += v.share();
            acc[1]++;
        }
        return byVm.entrySet().stream().map(e -> new VmShare(e.getKey(), (int) e.getValue()[1], e.getValue()[0])).toList();
    }

    /**
     * Exits of one reason: count, rate over the window, and handling latency. From jkvm.VmExit when
     * recorded (source "events": percentiles within 0.79 %), else from jkvm.VcpuExitStats (source
     * "stats": no p50; p99 is the upper bound of its power-of-two bucket).
     */
    public record ExitSummary(String reason, long count, double perSecond, long p50Nanos, long p99Nanos, long maxNanos, String source) {}

    /** The guest's own view, when recorded: TSC gaps (tsc-probe) and steal time (MSR_KVM_STEAL_TIME); -1 when absent. */
    /**
     * linuxGuestStealNanos / linuxHostWaitNanos: a Linux guest's steal over its workload from its own
     * /proc/stat, and the host's run-queue wait of its vCPU thread over the same interval (-1: none).
     */
    public record GuestView(long gaps, long gapTotalNanos, long gapMaxNanos, long stealNanos, long linuxGuestStealNanos, long linuxHostWaitNanos) {
        public static final GuestView NONE = new GuestView(-1, -1, -1, -1, -1, -1);

        public GuestView(long gaps, long gapTotalNanos, long gapMaxNanos, long stealNanos) {
            this(gaps, gapTotalNanos, gapMaxNanos, stealNanos, -1, -1);
        }
    }

    /** A task that was not a vCPU and ran on a CPU the vCPUs used (from jkvm.KernelSchedSwitch). */
    public record ForeignTask(int cpu, String comm, long nanos) {}

    /**
     * Sched-in inside KVM_RUN → first VM entry (jkvm.VcpuReload, where kvm:kvm_entry fires), per
     * switch class: what reloading another vCPU's VMCS/VMCB costs against resuming the same one.
     */
    public record ReloadLatency(String switchClass, Dist latency) {}

    /**
     * Whether the recording is complete: records the kernel dropped, records committed later than
     * {@link ScheduleAnalyzer#LATE_NANOS}, switch pairs that contradict each other, and the sources
     * that should be there but are not.
     */
    public record Health(
            boolean recorderSummary,
            long switchRecords,
            long lostRecords,
            List<String> lostSources,
            long lateRecords,
            long maxLagNanos,
            long inconsistentSwitches,
            boolean kernelSwitches,
            List<String> missingSources) {

        public boolean complete() {
            return recorderSummary && lostRecords == 0 && missingSources.isEmpty() && inconsistentSwitches == 0;
        }
    }

    /** Which machine the run happened on (jkvm.Host); {@link #NONE} in recordings without it. */
    public record Host(
            boolean recorded,
            String kernelRelease,
            String kernelCommandLine,
            String cpuVendor,
            String cpuModel,
            String microcode,
            String vendorModule,
            String vendorKind,
            String kvmParameters,
            String smt,
            int cpu,
            String governor,
            String frequencyRange,
            String isolatedCpus,
            String nohzFull,
            String transparentHugepages,
            String jkvmVersion,
            String jdkVersion) {
        private static final String NOT = "not recorded";
        public static final Host NONE = new Host(false, NOT, NOT, NOT, NOT, NOT, NOT, NOT, NOT, NOT, -1, NOT, NOT, NOT, NOT, NOT, NOT, NOT);
    }

    /**
     * Whether the experiment CPU was the VMs' alone during the run. Foreign time comes from the
     * sched_switch copy when the recording has it ({@code foreignSource} "sched_switch": the foreign
     * tasks' time in the window), else from jkvm.RunHygiene ("/proc/stat": the CPU's busy time minus
     * the vCPU threads' schedstat run time), else it is not measured ("none", fractions NaN).
     * Fractions are of 1; -1 / NaN = not measured.
     *
     * @param procStatForeignFraction the monitor's /proc/stat measurement even when sched_switch is the source (NaN without jkvm.RunHygiene)
     * @param siblingLoad             the busiest SMT sibling's busy fraction; NaN without a sibling or without jkvm.RunHygiene
     * @param frequencyChanges        changes of the sampled scaling_cur_freq; -1 when not exposed or not measured
     */
    public record Hygiene(
            String foreignSource,
            long foreignTimeNanos,
            double foreignFraction,
            double procStatForeignFraction,
            String siblingCpus,
            double siblingLoad,
            int frequencyChanges,
            long minFrequencyHz,
            long maxFrequencyHz,
            long stealNanos) {
        /** Thresholds of the run's warning and the analysis' verdict; the same as the monitor's (dev.jkvm.host.RunHygiene). */
        public static final double FOREIGN_WARN_FRACTION = 0.01;
        public static final double SIBLING_WARN_FRACTION = 0.05;
        public static final Hygiene NONE = new Hygiene("none", -1, Double.NaN, Double.NaN, "not recorded", Double.NaN, -1, -1, -1, -1);

        public boolean measured() {
            return !Double.isNaN(foreignFraction);
        }

        /** What exceeded its threshold, one phrase each; empty when the run was clean or nothing was measured. */
        public List<String> warnings() {
            List<String> w = new java.util.ArrayList<>();
            if (foreignFraction > FOREIGN_WARN_FRACTION) {
                w.add(String.format(java.util.Locale.ROOT, "foreign tasks %.1f %% > %.0f %%", 100 * foreignFraction, 100 * FOREIGN_WARN_FRACTION));
            }
            if (siblingLoad > SIBLING_WARN_FRACTION) {
                w.add(String.format(java.util.Locale.ROOT, "SMT sibling load %.1f %% > %.0f %%", 100 * siblingLoad, 100 * SIBLING_WARN_FRACTION));
            }
            return w;
        }
    }
}
