package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;
import jdk.jfr.Timestamp;

@Name("jkvm.WakeupLatency")
@Label("Wake-up Latency")
@Description("One tick of a timer guest: the time from the LAPIC timer expiry that was due to wake its vCPU to the vCPU running the tick's handler, from the guest's tick ring;"
        + " on the vCPU's thread from the expiry to the handler, in host time mapped from the guest TSC")
@Category({"jkvm", "Guest View"})
@StackTrace(false)
public final class WakeupLatency extends jdk.jfr.Event {
    @Label("VM") @Description("The VM")
    public String vm;

    @Label("vCPU") @Description("The vCPU index")
    public int vcpu;

    @Label("Sequence") @Description("The tick's number in the guest's ring (ticks the ring overwrote before they were read are missing)")
    public long sequence;

    @Label("Guest TSC") @Description("The guest's TSC at the first instruction of the tick's handler")
    public long guestTsc;

    @Timespan(Timespan.NANOSECONDS) @Label("Latency")
    @Description("From the first timer expiry after the previous tick to this tick's handler: the previous tick's expiry plus one period, by the guest TSC at the vCPU's TSC rate")
    public long latency;

    @Timespan(Timespan.NANOSECONDS) @Label("Since Latest Expiry")
    @Description("From the timer's latest expiry to the handler, by the LAPIC's own current count (equals the latency when no tick was missed)")
    public long sinceExpiry;

    @Label("Missed Ticks") @Description("Expiries between the previous tick and this one that the vCPU never saw (KVM coalesces a periodic timer's expiries while one is pending)")
    public long missedTicks;

    @Timespan(Timespan.NANOSECONDS) @Label("Period") @Description("The timer period the guest programmed")
    public long period;

    @KernelTime @Timestamp(Timestamp.TICKS)
    @Label("Handler Time") @Description("Host time of the tick's handler, mapped from the guest TSC; the event ends here"
            + " (none, and the event at the end of the run, when no mapping could be measured)")
    public long handlerTime;

    @Label("Monotonic Nanoseconds") @Description("Handler Time as raw CLOCK_MONOTONIC nanoseconds (System.nanoTime's clock), -1 when unknown")
    public long monotonicNanos;
}
