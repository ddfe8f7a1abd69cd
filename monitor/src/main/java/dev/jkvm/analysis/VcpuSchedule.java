package dev.jkvm.analysis;

/**
 * One vCPU's schedule as a recording shows it, in the vocabulary of {@code perf sched timehist}:
 * run time (on the CPU), wait time (off it while runnable: preempted), sleep time (off it while
 * blocked), and the longest single wait ("max delay").
 */
public record VcpuSchedule(
        String vm,
        int vcpu,
        int tid,
        long schedIns,
        long schedOuts,
        long preemptions,
        long runNanos,
        long waitNanos,
        long sleepNanos,
        long maxDelayNanos,
        long firstRuns,
        long sameVcpu,
        long fromOtherVcpu,
        long kvmSchedIns,
        long exits,
        long progress,
        String result) {

    /** Share of this vCPU's observed time it spent running. */
    public double runShare() {
        long total = runNanos + waitNanos + sleepNanos;
        return total == 0 ? 0 : (double) runNanos / total;
    }

    public long meanDelayNanos() {
        return preemptions == 0 ? 0 : waitNanos / preemptions;
    }
}
