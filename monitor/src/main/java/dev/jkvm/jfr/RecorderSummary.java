package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

@Name("jkvm.RecorderSummary")
@Label("Recorder Summary")
@Description("End of run: how many kernel records the recorder turned into events, how many were lost, and the commit lag")
@Category({"jkvm", "Recorder"})
@StackTrace(false)
public final class RecorderSummary extends jdk.jfr.Event {
    @Label("Switch Records") @Description("Context-switch records read from the perf rings")
    public long switchRecords;

    @Label("Probe Records") @Description("Kprobe and tracepoint samples read (privileged ground truth)")
    public long probeRecords;

    @Label("Lost Records") @Description("Records the kernel dropped (PERF_RECORD_LOST); 0 means the recording is complete")
    public long lostRecords;

    @Label("Late Records") @Description("Records that arrived after a later one had been committed: committed out of order and not classified")
    public long lateRecords;

    @Timespan(Timespan.NANOSECONDS)
    @Label("Median Commit Lag") @Description("Median time from kernel timestamp to event commit, of the records stamped before the stop instant (all records when the guests ended by themselves)")
    public long lagP50;

    @Timespan(Timespan.NANOSECONDS)
    @Label("99th Percentile Commit Lag") @Description("99th percentile of the time from kernel timestamp to event commit, of the records stamped before the stop instant")
    public long lagP99;

    @Timespan(Timespan.NANOSECONDS)
    @Label("Maximum Commit Lag") @Description("Largest time from kernel timestamp to event commit, of the records stamped before the stop instant")
    public long lagMax;

    @Label("Stop Records") @Description("Records stamped from the stop instant on (the vCPUs' last switches while they leave); their lag is given apart")
    public long stopRecords;

    @Timespan(Timespan.NANOSECONDS)
    @Label("99th Percentile Commit Lag at the Stop") @Description("99th percentile of the commit lag of the records stamped from the stop instant on")
    public long stopLagP99;

    @Timespan(Timespan.NANOSECONDS)
    @Label("Maximum Commit Lag at the Stop") @Description("Largest commit lag of the records stamped from the stop instant on")
    public long stopLagMax;

    @Label("Recorder Nice") @Description("The recorder thread's nice value: -10 when it could raise its priority (CAP_SYS_NICE), else 0")
    public int recorderNice;

    @Label("Ring Data Pages") @Description("Data pages (4 KiB) of each vCPU's perf ring: 16, fewer when the memory this user may lock"
            + " held no more (smaller rings overflow sooner: see Lost Records), 0 when no vCPU was recorded")
    public int ringDataPages;

    @Label("Switches Not Recorded") @Description("Why no vCPU's sched-in/out was recorded (perf refused a ring or the event), empty when they were")
    public String notRecorded;

    @Label("Helper Failures")
    @Description("Helper threads that failed during the run (the recorder, a sampler, a periodic hook), one a line with its reason and from when its events are missing; empty when none did")
    public String failures;
}
