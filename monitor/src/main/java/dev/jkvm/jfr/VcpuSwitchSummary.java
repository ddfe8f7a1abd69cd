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

    @Label("First Loads") @Description("Sched-ins inside KVM_RUN on a CPU where no vCPU was loaded yet")
    public long firstLoads;

    @Label("Same vCPU Reloaded") @Description("Sched-ins inside KVM_RUN where the CPU's loaded vCPU was this one (no VMPTRLD)")
    public long sameVcpu;

    @Label("From Another vCPU") @Description("Sched-ins inside KVM_RUN where another vCPU was loaded last (VMCS/VMCB reload)")
    public long fromOtherVcpu;

    @Label("Outside KVM_RUN") @Description("Sched-ins while the thread was outside KVM_RUN (KVM loads nothing)")
    public long outsideKvmRun;

    @Label("Unknown Class") @Description("Sched-ins that could not be classified (records lost before them)")
    public long unknownClass;

    @Label("Late Records") @Description("Switch records that arrived after later ones had been committed (not classified)")
    public long lateRecords;

    @Label("Gaps") @Description("Times records of this thread were lost; intervals never span a gap")
    public long gaps;

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
