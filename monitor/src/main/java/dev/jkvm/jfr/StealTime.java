package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

@Name("jkvm.StealTime")
@Label("Steal Time")
@Description("KVM's steal-time record for a vCPU (MSR_KVM_STEAL_TIME), read from guest memory: time the vCPU was runnable but not running")
@Category({"jkvm", "Guest View"})
@StackTrace(false)
@Period("1 s")
public final class StealTime extends jdk.jfr.Event {
    @Label("VM") @Description("The VM")
    public String vm;

    @Label("vCPU") @Description("The vCPU index")
    public int vcpu;

    @Timespan(Timespan.NANOSECONDS) @Label("Steal") @Description("Total steal time KVM has reported to the guest")
    public long steal;

    @Timespan(Timespan.NANOSECONDS) @Label("Steal Increase") @Description("Steal time added since the previous sample")
    public long stealDelta;

    @Label("Preempted") @Description("KVM's preempted flag: the vCPU is scheduled out right now")
    public boolean preempted;

    @Label("Version") @Description("The record's version counter (odd while KVM updates it)")
    public long version;
}
