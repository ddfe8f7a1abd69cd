package dev.jkvm.analysis;

import dev.jkvm.jfr.KernelTime;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;
import jdk.jfr.Timestamp;

/**
 * The classified sched-in as recordings before 2026-11-27 wrote it, a separate event beside each
 * {@code jkvm.VcpuSchedIn} (the class now travels in the sched-in itself): {@link SyntheticSchedule}
 * writes it to show that {@code jkvm analyze} still reads such recordings.
 */
@Name("jkvm.VcpuSwitch")
@Label("vCPU Switch")
@Description("A sched-in of a vCPU thread classified by the vCPU KVM loaded last on that CPU: inside KVM_RUN the same"
        + " vCPU reloaded (no VMPTRLD), another vCPU's VMCS/VMCB current (VMPTRLD expected) or the first load on the CPU;"
        + " outside KVM_RUN KVM loads nothing")
@Category({"jkvm", "Scheduling"})
@StackTrace(false)
public final class LegacyVcpuSwitch extends jdk.jfr.Event {
    @Label("VM") @Description("The VM switched in; the event is on its vCPU thread")
    public String vm;

    @Label("vCPU") @Description("The vCPU index switched in")
    public int vcpu;

    @Label("CPU") @Description("The CPU")
    public int cpu;

    @KernelTime @Timestamp(Timestamp.TICKS)
    @Label("Kernel Time") @Description("When the sched-in happened; the event's start time is this moment too")
    public long kernelTime;

    @Label("Monotonic Nanoseconds") @Description("Kernel Time as the kernel stamped it: raw CLOCK_MONOTONIC nanoseconds (System.nanoTime's clock)")
    public long monotonicNanos;

    @Label("Switch Class") @Description("first load on this CPU, same vCPU reloaded, another vCPU was loaded, outside KVM_RUN, or unknown (records lost)")
    public String switchClass;

    @Label("Loaded VM") @Description("The VM whose vCPU KVM had loaded last on this CPU (empty when none or unknown)")
    public String fromVm;

    @Label("Loaded vCPU") @Description("The vCPU KVM had loaded last on this CPU (-1 when none or unknown)")
    public int fromVcpu;

    @Label("Ran Before") @Description("The task the CPU switched from: a vCPU (vm/vcpuN), idle, a foreign task (its name and TID),"
            + " or, without the sched_switch tracepoint, what the switch records suggest")
    public String ranBefore;

    @Label("Thread ID") @Description("Kernel thread id of the vCPU thread switched in")
    public int tid;


    @Timespan(Timespan.NANOSECONDS)
    @Label("Time Off CPU") @Description("Time since this vCPU's last sched-out (0 when not known)")
    public long offCpu;
}
