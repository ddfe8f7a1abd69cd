package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

@Name("jkvm.LockStats")
@Label("Lock Statistics")
@Description("At the end of a run, per vCPU of a lock guest: its acquisitions of the spinlock and the distribution of hold times (all acquisitions) and wait times (contended ones), from the guest's histograms (4 buckets per power of two: a percentile is its bucket's upper bound, within 25 %; the maxima are exact)")
@Category({"jkvm", "Guest View"})
@StackTrace(false)
public final class LockStats extends jdk.jfr.Event {
    @Label("VM") @Description("The VM")
    public String vm;

    @Label("vCPU") @Description("The vCPU index")
    public int vcpu;

    @Label("Acquisitions") @Description("Times the vCPU took the lock")
    public long acquisitions;

    @Label("Contended") @Description("Acquisitions whose first try found the lock taken")
    public long contended;

    @Timespan(Timespan.NANOSECONDS) @Label("Hold p50") @Description("Median time the vCPU held the lock (all its acquisitions)") public long holdP50;
    @Timespan(Timespan.NANOSECONDS) @Label("Hold p99") @Description("99th percentile time the vCPU held the lock") public long holdP99;
    @Timespan(Timespan.NANOSECONDS) @Label("Hold Max") @Description("Longest time the vCPU held the lock (exact)") public long holdMax;
    @Timespan(Timespan.NANOSECONDS) @Label("Wait p50") @Description("Median wait of the contended acquisitions (-1: none)") public long waitP50;
    @Timespan(Timespan.NANOSECONDS) @Label("Wait p99") @Description("99th percentile wait of the contended acquisitions (-1: none)") public long waitP99;
    @Timespan(Timespan.NANOSECONDS) @Label("Wait Max") @Description("Longest wait of the contended acquisitions (exact; -1: none)") public long waitMax;
}
