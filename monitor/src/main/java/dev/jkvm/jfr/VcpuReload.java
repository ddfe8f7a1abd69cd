package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

@Name("jkvm.VcpuReload")
@Label("vCPU Reload")
@Description("From a sched-in of a vCPU thread inside KVM_RUN to its first VM entry after it (kvm:kvm_entry): the cost of"
        + " reloading the vCPU, by switch class (another vCPU's VMCS/VMCB was current, or the same one); drawn on the vCPU's thread")
@Category({"jkvm", "Scheduling"})
@StackTrace(false)
public final class VcpuReload extends jdk.jfr.Event {
    @Label("VM") @Description("The VM")
    public String vm;

    @Label("vCPU") @Description("The vCPU index")
    public int vcpu;

    @Label("Thread ID") @Description("Kernel thread id of the vCPU thread")
    public int tid;

    @Label("CPU") @Description("The CPU")
    public int cpu;

    @Label("Switch Class") @Description("The sched-in's class (see jkvm.VcpuSchedIn)")
    public String switchClass;

    @Timespan(Timespan.NANOSECONDS)
    @Label("Reload Latency") @Description("Sched-in to the first kvm:kvm_entry of the same thread (also the event's duration)")
    public long latency;

    @Label("Monotonic Nanoseconds") @Description("The event's start time as the kernel stamped it: raw CLOCK_MONOTONIC nanoseconds (System.nanoTime's clock)")
    public long monotonicNanos;
}
