package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

@Name("jkvm.LinuxWorkloadSteal")
@Label("Linux Workload Steal")
@Description("A Linux guest's steal time over its workload (ready line to summary line) from its own /proc/stat, beside the host's run-queue wait of its vCPU thread over the same lines (schedstat); written at the end of the run")
@Category({"jkvm", "Guest View"})
@StackTrace(false)
public final class LinuxWorkloadSteal extends jdk.jfr.Event {
    @Label("VM") @Description("The VM")
    public String vm;

    @Label("vCPU") @Description("The vCPU index")
    public int vcpu;

    @Timespan(Timespan.NANOSECONDS) @Label("Guest Steal") @Description("Steal time the guest's /proc/stat counted over the workload (whole USER_HZ ticks)")
    public long guestSteal;

    @Timespan(Timespan.NANOSECONDS) @Label("Host Run-Queue Wait") @Description("Time the vCPU thread was runnable but not running over the workload, by the host kernel's schedstat")
    public long hostRunQueueWait;
}
