package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

@Name("jkvm.VcpuSchedIn")
@Label("vCPU Sched In")
@Description("The kernel switched a vCPU thread in (a perf context-switch record of that thread), classified by the vCPU KVM"
        + " loaded last on that CPU: inside KVM_RUN the same vCPU reloaded (no VMPTRLD), another vCPU's VMCS/VMCB current"
        + " (VMPTRLD expected) or the first load on the CPU; outside KVM_RUN KVM loads nothing")
@Category({"jkvm", "Scheduling"})
@StackTrace(false)
public final class VcpuSchedIn extends jdk.jfr.Event {
    @Label("VM") @Description("The VM's name, e.g. vm0")
    public String vm;

    @Label("vCPU") @Description("The vCPU index within its VM")
    public int vcpu;

    @Label("Thread ID") @Description("Kernel thread id (TID) of the vCPU thread")
    public int tid;

    @Label("CPU") @Description("The CPU the thread was switched in on")
    public int cpu;

    @Label("Monotonic Nanoseconds") @Description("The event's start time as the kernel stamped it: raw CLOCK_MONOTONIC nanoseconds (System.nanoTime's clock)")
    public long monotonicNanos;

    @Label("In KVM_RUN") @Description("The thread was inside the KVM_RUN ioctl at that moment (false also when unknown)")
    public boolean inKvmRun;

    @Label("Stamped By") @Description("Where the event's time comes from: the sched:sched_switch tracepoint (when recorded, the moment the kernel switched) or the perf switch record (written a few microseconds after a switch-in)")
    public String stampedBy;

    @Label("Late") @Description("The record reached the recorder after a later one had been committed; it is not classified")
    public boolean late;

    @Timespan(Timespan.NANOSECONDS)
    @Label("Recorder Lag") @Description("Time from the kernel's timestamp to when the recorder wrote this event")
    public long lag;

    @Label("Switch Class") @Description("first load on this CPU, same vCPU reloaded, another vCPU was loaded, outside KVM_RUN,"
            + " or unknown (records lost); empty for a late record, which is not classified")
    public String switchClass;

    @Label("Loaded VM") @Description("The VM whose vCPU KVM had loaded last on this CPU (empty when none or unknown)")
    public String fromVm;

    @Label("Loaded vCPU") @Description("The vCPU KVM had loaded last on this CPU (-1 when none or unknown)")
    public int fromVcpu;

    @Label("Ran Before") @Description("The task the CPU switched from: a vCPU (vm/vcpuN), idle, a foreign task (its name and TID),"
            + " or, without the sched_switch tracepoint, what the switch records suggest")
    public String ranBefore;

    @Timespan(Timespan.NANOSECONDS)
    @Label("Time Off CPU") @Description("Time since this vCPU's last sched-out (0 when not known)")
    public long offCpu;
}
