package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;
import jdk.jfr.Timestamp;

@Name("jkvm.VcpuSwitch")
@Label("vCPU Switch")
@Description("A sched-in of a vCPU classified by what the CPU last ran of KVM: the vCPU's first run, the same vCPU"
        + " resumed (its VMCS/VMCB still current), or a switch from another vCPU (on VMX a VMPTRLD of another VMCS)")
@Category({"jkvm", "Scheduling"})
@StackTrace(false)
public final class VcpuSwitch extends jdk.jfr.Event {
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

    @Label("Switch Class") @Description("first run, same vCPU resumed, or switched from another vCPU")
    public String switchClass;

    @Label("Previous VM") @Description("The VM whose vCPU this CPU ran last (empty for a first run on the CPU)")
    public String fromVm;

    @Label("Previous vCPU") @Description("The vCPU this CPU ran last (-1 when none)")
    public int fromVcpu;

    @Timespan(Timespan.NANOSECONDS)
    @Label("Time Off CPU") @Description("Time since this vCPU's last sched-out (0 for a first run)")
    public long offCpu;
}
