package dev.jkvm.sched;

import dev.jkvm.bindings.generated.LinuxHeaders;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A PERF_RECORD_SWITCH of one thread: switched in or out, and when switched out whether it was
 * preempted (still runnable). Decoded from the record's trailing sample_id (TID, TIME, CPU).
 */
public record SwitchRecord(int pid, int tid, long time, int cpu, boolean out, boolean preempted) {
    static final int TYPE = LinuxHeaders.PERF_RECORD_SWITCH();
    static final int LOST = LinuxHeaders.PERF_RECORD_LOST();
    static final int MISC_OUT = LinuxHeaders.PERF_RECORD_MISC_SWITCH_OUT();
    static final int MISC_PREEMPT = LinuxHeaders.PERF_RECORD_MISC_SWITCH_OUT_PREEMPT();
    /** sample_id with TID|TIME|CPU: u32 pid, u32 tid, u64 time, u32 cpu, u32 reserved. */
    static final int SAMPLE_ID_SIZE = 24;

    /** Decodes a PERF_RECORD_SWITCH whose event had {@link PerfAttributes#SAMPLE_TYPE}. */
    public static SwitchRecord decode(int misc, MemorySegment record) {
        long id = record.byteSize() - SAMPLE_ID_SIZE;
        if (id < 8) throw new IllegalArgumentException("switch record of " + record.byteSize() + " bytes has no sample_id");
        boolean out = (misc & MISC_OUT) != 0;
        return new SwitchRecord(
                record.get(ValueLayout.JAVA_INT_UNALIGNED, id),
                record.get(ValueLayout.JAVA_INT_UNALIGNED, id + 4),
                record.get(ValueLayout.JAVA_LONG_UNALIGNED, id + 8),
                record.get(ValueLayout.JAVA_INT_UNALIGNED, id + 16),
                out,
                out && (misc & MISC_PREEMPT) != 0);
    }

    /** The count of a PERF_RECORD_LOST: u64 id, u64 lost after the 8-byte header. */
    public static long lostCount(MemorySegment record) {
        return record.get(ValueLayout.JAVA_LONG_UNALIGNED, 16);
    }

    /** The time of a PERF_RECORD_LOST from its trailing sample_id (u64 id, u64 lost, then TID, TIME, CPU). */
    public static long lostTime(MemorySegment record) {
        long id = record.byteSize() - SAMPLE_ID_SIZE;
        if (id < 24) throw new IllegalArgumentException("lost record of " + record.byteSize() + " bytes has no sample_id");
        return record.get(ValueLayout.JAVA_LONG_UNALIGNED, id + 8);
    }
}
