package dev.jkvm.jfr;

/**
 * One vCPU's lane of the timeline: turns its sched-ins and sched-outs, given in kernel time order,
 * into {@code jkvm.VcpuOnCpu} slices (sched-in to sched-out) and {@code jkvm.VcpuRunnable} waits
 * (a preempting sched-out to the next sched-in). A slice whose start was not seen (the thread was
 * already running when recording began) is not drawn. Used by one thread at a time.
 */
public final class VcpuLane {
    /** Exits jkvm handled for this vCPU after one CLOCK_MONOTONIC time and up to another (-1: unknown). */
    @FunctionalInterface
    public interface ExitCount {
        long between(long from, long to);
    }

    private final JkvmTimeline timeline;
    private final JkvmTimeline.VcpuRef vcpu;
    private final ExitCount exits;
    private long inAt = -1, outAt = -1;
    private int inCpu, outCpu;
    private String inClass;
    private boolean inInKvmRun, outPreempted, outInKvmRun;

    public VcpuLane(JkvmTimeline timeline, JkvmTimeline.VcpuRef vcpu, ExitCount exits) {
        this.timeline = timeline;
        this.vcpu = vcpu;
        this.exits = exits;
    }

    public JkvmTimeline.VcpuRef vcpu() {
        return vcpu;
    }

    public void schedIn(int cpu, long time, String switchClass, boolean inKvmRun) {
        if (outAt >= 0 && outPreempted) {
            timeline.runnable(vcpu, outCpu, outAt, time, switchClass, outInKvmRun, exits.between(outAt, time));
        }
        inAt = time;
        inCpu = cpu;
        inClass = switchClass;
        inInKvmRun = inKvmRun;
        outAt = -1;
    }

    public void schedOut(int cpu, long time, boolean preempted, boolean inKvmRun) {
        if (inAt >= 0) {
            timeline.onCpu(vcpu, inCpu, inAt, time, inClass, inInKvmRun, preempted, exits.between(inAt, time));
        }
        outAt = time;
        outCpu = cpu;
        outPreempted = preempted;
        outInKvmRun = inKvmRun;
        inAt = -1;
    }
}
