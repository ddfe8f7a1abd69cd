package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

@Name("jkvm.VcpuSchedOut")
@Label("vCPU Sched Out")
@Description("The kernel switched a vCPU thread out, preempted (still runnable) or blocked")
@Category({"jkvm", "Scheduling"})
@StackTrace(false)
public final class VcpuSchedOut extends jdk.jfr.Event {
    @Label("VM") @Description("The VM's name, e.g. vm0")
    public String vm;

    @Label("vCPU") @Description("The vCPU index within its VM")
    public int vcpu;

    @Label("Thread ID") @Description("Kernel thread id (TID) of the vCPU thread")
    public int tid;

    @Label("CPU") @Description("The CPU the thread was switched out from")
    public int cpu;

    @Label("Monotonic Nanoseconds") @Description("The event's start time as the kernel stamped it: raw CLOCK_MONOTONIC nanoseconds (System.nanoTime's clock)")
    public long monotonicNanos;

    @Label("Preempted") @Description("The thread was still runnable (preempted); false means it blocked or slept")
    public boolean preempted;

    @Label("In KVM_RUN") @Description("The thread was inside the KVM_RUN ioctl at that moment (false also when unknown)")
    public boolean inKvmRun;

    @Label("Stamped By") @Description("Where the event's time comes from: the sched:sched_switch tracepoint (when recorded, the moment the kernel switched) or the perf switch record (written a few microseconds after a switch-in)")
    public String stampedBy;

    @Label("Late") @Description("The record reached the recorder after a later one had been committed; it is not classified")
    public boolean late;

    @Timespan(Timespan.NANOSECONDS)
    @Label("Recorder Lag") @Description("Time from the kernel's timestamp to when the recorder wrote this event")
    public long lag;
}
