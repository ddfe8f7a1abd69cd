package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Frequency;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;
import jdk.jfr.Timestamp;

@Name("jkvm.GuestGap")
@Label("Guest TSC Gap")
@Description("The tsc-probe guest saw its TSC jump by more than its threshold between two reads: time it lost, as the guest saw it")
@Category({"jkvm", "Guest View"})
@StackTrace(false)
public final class GuestGap extends jdk.jfr.Event {
    @Label("VM") @Description("The VM")
    public String vm;

    @Label("Guest TSC") @Description("The guest's TSC just before the gap")
    public long guestTsc;

    @Label("Gap Cycles") @Description("TSC cycles the gap lasted")
    public long gapCycles;

    @Timespan(Timespan.NANOSECONDS) @Label("Gap") @Description("The gap in host time: its cycles at the measured TSC rate (at KVM_GET_TSC_KHZ when not measured)")
    public long gap;

    @Frequency @Label("TSC Frequency") @Description("The vCPU's TSC frequency as KVM reports it (KVM_GET_TSC_KHZ)")
    public long tscHz;

    @Frequency @Label("Measured TSC Frequency") @Description("The guest TSC's rate measured against the host clock during the run (-1 when too few samples)")
    public long measuredTscHz;

    @KernelTime @Timestamp(Timestamp.TICKS)
    @Label("Estimated Kernel Time") @Description("Host time of the gap's start, mapped from the guest TSC; the event's start time is"
            + " this moment too (none, and the event at the end of the run, when no mapping could be measured)")
    public long estimatedStart;

    @Label("Monotonic Nanoseconds") @Description("Estimated Kernel Time as raw CLOCK_MONOTONIC nanoseconds (System.nanoTime's clock), -1 when unknown")
    public long monotonicNanos;

    @Label("Sequence") @Description("The entry's number in the guest's ring (gaps the ring overwrote before they were read are missing)")
    public long sequence;
}
