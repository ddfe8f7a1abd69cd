package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Frequency;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

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

    @Timespan(Timespan.NANOSECONDS) @Label("Gap") @Description("The gap in time, from its cycles and the vCPU's TSC frequency")
    public long gap;

    @Frequency @Label("TSC Frequency") @Description("The vCPU's TSC frequency (KVM_GET_TSC_KHZ), in Hz")
    public long tscHz;

    @KernelTime @Timespan(Timespan.NANOSECONDS)
    @Label("Estimated Kernel Time") @Description("Host CLOCK_MONOTONIC time of the gap's start, from the guest TSC and the alignment offset (-1 when not aligned)")
    public long estimatedStart;

    @Label("Sequence") @Description("The entry's number in the guest's ring (gaps the ring overwrote before they were read are missing)")
    public long sequence;
}
