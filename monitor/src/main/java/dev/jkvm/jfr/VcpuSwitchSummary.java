package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

@Name("jkvm.VcpuSwitchSummary")
@Label("vCPU Switch Summary")
@Description("Per vCPU at the end of a run: sched-ins by class, sched-outs, and time on and off the CPU from the switch records")
@Category({"jkvm", "Scheduling"})
@StackTrace(false)
public final class VcpuSwitchSummary extends jdk.jfr.Event {
    @Label("VM") @Description("The VM")
    public String vm;

    @Label("vCPU") @Description("The vCPU index")
    public int vcpu;

    @Label("Thread ID") @Description("Kernel thread id of the vCPU thread")
    public int tid;

    @Label("Sched Ins") @Description("All sched-in records")
    public long schedIns;

    @Label("Sched Outs") @Description("All sched-out records")
    public long schedOuts;

    @Label("Preempted Sched Outs") @Description("Sched-outs where the thread was still runnable")
    public long preemptions;

    @Label("First Runs") @Description("Sched-ins classified as the vCPU's first run on the CPU")
    public long firstRuns;

    @Label("Same vCPU Resumed") @Description("Sched-ins where the CPU's last vCPU was this one")
    public long sameVcpu;

    @Label("From Another vCPU") @Description("Sched-ins where the CPU's last vCPU was another one (VMCS/VMCB reload)")
    public long fromOtherVcpu;

    @Timespan(Timespan.NANOSECONDS)
    @Label("Time On CPU") @Description("Sum of sched-in to sched-out intervals")
    public long onCpu;

    @Timespan(Timespan.NANOSECONDS)
    @Label("Time On CPU In KVM_RUN") @Description("Sum of the on-CPU intervals that began inside KVM_RUN: the CPU time the guest could use")
    public long onCpuInKvmRun;

    @Timespan(Timespan.NANOSECONDS)
    @Label("Time Off CPU") @Description("Sum of sched-out to sched-in intervals")
    public long offCpu;
}
