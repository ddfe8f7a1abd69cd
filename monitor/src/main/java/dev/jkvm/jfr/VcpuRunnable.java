package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

@Name("jkvm.VcpuRunnable")
@Label("vCPU Runnable")
@Description("A vCPU thread waited for a CPU: from a sched-out that preempted it (still runnable) to its next sched-in;"
        + " drawn on the vCPU's own thread, whose OS thread id is the vCPU's TID. It starts at its jkvm.VcpuSchedOut, whose"
        + " monotonicNanos is its raw kernel time")
@Category({"jkvm", "Scheduling"})
@StackTrace(false)
public final class VcpuRunnable extends jdk.jfr.Event {
    @Label("VM") @Description("The VM's name, e.g. vm0")
    public String vm;

    @Label("vCPU") @Description("The vCPU index within its VM")
    public int vcpu;

    @Label("CPU") @Description("The CPU it was switched back in on")
    public int cpu;

    @Label("Switch Class") @Description("How the wait ended: the class of the sched-in that ended it (see jkvm.VcpuSchedIn)")
    public String switchClass;

    @Label("In KVM_RUN") @Description("The thread was inside KVM_RUN when preempted (false also when unknown)")
    public boolean inKvmRun;

    @Label("Exits to jkvm") @Description("KVM_RUN returns during the wait: 0 unless the records disagree (-1 when no longer known)")
    public long exits;
}
