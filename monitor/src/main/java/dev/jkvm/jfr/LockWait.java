package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;
import jdk.jfr.Timestamp;

@Name("jkvm.LockWait")
@Label("Lock Wait")
@Description("One contended acquisition of a lock guest's spinlock (the first try found it taken), from the guest's ring: how long the vCPU waited and then held it, by the guest TSC;"
        + " on the vCPU's thread from the first try to the acquisition, in host time mapped from the guest TSC")
@Category({"jkvm", "Guest View"})
@StackTrace(false)
public final class LockWait extends jdk.jfr.Event {
    @Label("VM") @Description("The VM")
    public String vm;

    @Label("vCPU") @Description("The vCPU that waited")
    public int vcpu;

    @Label("Sequence") @Description("The acquisition's number in the guest's ring of contended acquisitions (ones overwritten before they were read, or beyond the run's bound, are missing)")
    public long sequence;

    @Label("Guest TSC") @Description("The guest's TSC when the vCPU got the lock")
    public long guestTsc;

    @Timespan(Timespan.NANOSECONDS) @Label("Wait") @Description("From the first try to the acquisition, at the vCPU's TSC rate")
    public long waitTime;

    @Timespan(Timespan.NANOSECONDS) @Label("Hold") @Description("How long the vCPU then held the lock (its critical section), at the vCPU's TSC rate")
    public long holdTime;

    @KernelTime @Timestamp(Timestamp.TICKS)
    @Label("Acquired") @Description("Host time of the acquisition, mapped from the guest TSC; the event ends here"
            + " (none, and the event at the end of the run, when no mapping could be measured)")
    public long acquiredTime;

    @Label("Monotonic Nanoseconds") @Description("Acquired as raw CLOCK_MONOTONIC nanoseconds (System.nanoTime's clock), -1 when unknown")
    public long monotonicNanos;
}
