package dev.jkvm.sched;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A PERF_RECORD_SAMPLE of a kprobe or tracepoint event opened with {@link PerfAttributes#everyHit}:
 * the task it hit in, when, on which CPU, and (tracepoints) a copy of the raw tracepoint data.
 */
public record ProbeSample(int pid, int tid, long time, int cpu, byte[] raw) {
    static final int TYPE = dev.jkvm.bindings.generated.LinuxHeaders.PERF_RECORD_SAMPLE();

    /** Decodes a sample record (header included) with sample_type TID|TIME|CPU[|RAW]. */
    public static ProbeSample decode(MemorySegment record, boolean hasRaw) {
        long at = 8;
        int pid = record.get(ValueLayout.JAVA_INT_UNALIGNED, at);
        int tid = record.get(ValueLayout.JAVA_INT_UNALIGNED, at + 4);
        long time = record.get(ValueLayout.JAVA_LONG_UNALIGNED, at + 8);
        int cpu = record.get(ValueLayout.JAVA_INT_UNALIGNED, at + 16);
        byte[] raw = new byte[0];
        if (hasRaw) {
            long rawAt = at + 24;
            int size = record.get(ValueLayout.JAVA_INT_UNALIGNED, rawAt);
            if (size < 0 || rawAt + 4 + size > record.byteSize()) {
                throw new IllegalArgumentException("sample raw data of " + size + " bytes overruns its " + record.byteSize() + "-byte record");
            }
            raw = record.asSlice(rawAt + 4, size).toArray(ValueLayout.JAVA_BYTE);
        }
        return new ProbeSample(pid, tid, time, cpu, raw);
    }
}
