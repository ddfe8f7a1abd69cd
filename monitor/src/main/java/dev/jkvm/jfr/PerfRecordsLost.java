package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

@Name("jkvm.PerfRecordsLost")
@Label("Perf Records Lost")
@Description("The kernel dropped perf records because a ring buffer was full (PERF_RECORD_LOST); the recording misses them")
@Category({"jkvm", "Recorder"})
@StackTrace(false)
public final class PerfRecordsLost extends jdk.jfr.Event {
    @Label("Source") @Description("Which perf event lost records, e.g. switches of vcpu-vm0-0")
    public String source;

    @Label("Lost Records") @Description("How many records the kernel dropped")
    public long lost;
}
