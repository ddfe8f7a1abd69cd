package dev.jkvm.analysis;

import java.util.List;

/**
 * What one recording says about its run, as `jkvm analyze` reports it. Times are nanoseconds of
 * CLOCK_MONOTONIC (the recording's kernelTime fields); shares are fractions of the window from the
 * first to the last vCPU switch in the recording. With the sched_switch copy, the vCPUs' run time,
 * the foreign tasks' and the idle time (idleNanos; -1 without the copy) add up to the window on each
 * CPU.
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
        List<ReloadLatency> reloadLatency) {

    public long windowNanos() {
        return Math.max(0, windowEnd - windowStart);
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
            long progress) {

        /** The longest single runnable wait ("max delay" in perf sched). */
        public long maxDelayNanos() {
            return waits.max();
        }

        public String name() {
            return vm + "/" + vcpu;
        }
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
}
