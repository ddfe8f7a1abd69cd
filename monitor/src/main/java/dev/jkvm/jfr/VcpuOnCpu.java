package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

@Name("jkvm.VcpuOnCpu")
@Label("vCPU On CPU")
@Description("A vCPU thread ran on a CPU, from its sched-in to its sched-out; drawn on the vCPU's own thread, whose OS thread"
        + " id is the vCPU's TID. It starts at its jkvm.VcpuSchedIn, whose monotonicNanos is its raw kernel time")
@Category({"jkvm", "Scheduling"})
@StackTrace(false)
public final class VcpuOnCpu extends jdk.jfr.Event {
    @Label("VM") @Description("The VM's name, e.g. vm0")
    public String vm;

    @Label("vCPU") @Description("The vCPU index within its VM")
    public int vcpu;

    @Label("CPU") @Description("The CPU it ran on")
    public int cpu;

    @Label("Switch Class") @Description("How the slice began: the class of its sched-in (see jkvm.VcpuSchedIn)")
    public String switchClass;

    @Label("In KVM_RUN") @Description("The thread was inside KVM_RUN when switched in (false also when unknown)")
    public boolean inKvmRun;

    @Label("Preempted") @Description("The slice ended by preemption (the thread stayed runnable); false means it blocked or slept")
    public boolean preempted;

    @Label("Exits to jkvm") @Description("KVM_RUN returns (exits handled by jkvm) during the slice; exits KVM handles in the kernel"
            + " are not seen; -1 when no longer known")
    public long exits;
}
