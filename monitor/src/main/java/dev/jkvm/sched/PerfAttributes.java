package dev.jkvm.sched;

import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.bindings.generated.perf_event_attr;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The struct perf_event_attr values jkvm opens. Every record carries TID, time and CPU
 * (sample_id_all), timed with CLOCK_MONOTONIC (use_clockid) so perf, System.nanoTime and tracefs's
 * mono clock agree.
 */
public final class PerfAttributes {
    /**
     * The flag bitfields follow read_format as one 64-bit word; jextract skips bitfields, so their
     * positions (include/uapi/linux/perf_event.h, in declaration order) are written here.
     */
    static final long FLAGS_OFFSET = perf_event_attr.read_format$offset() + 8;
    static final long DISABLED = 1L << 0;
    static final long EXCLUDE_KERNEL = 1L << 5;
    static final long EXCLUDE_HV = 1L << 6;
    static final long SAMPLE_ID_ALL = 1L << 18;
    static final long USE_CLOCKID = 1L << 25;
    static final long CONTEXT_SWITCH = 1L << 26;

    /** TID, TIME and CPU: the sample_id every record ends with, and the start of every sample. */
    public static final long SAMPLE_TYPE = LinuxHeaders.PERF_SAMPLE_TID() | LinuxHeaders.PERF_SAMPLE_TIME() | LinuxHeaders.PERF_SAMPLE_CPU();
    private static final int CLOCK_MONOTONIC = LinuxHeaders.CLOCK_MONOTONIC();

    private PerfAttributes() {}

    /**
     * Context-switch records (PERF_RECORD_SWITCH) of one thread, on a dummy software event that counts
     * nothing else. Excluding kernel and hypervisor keeps it within perf_event_paranoid 2 for our own threads.
     */
    public static MemorySegment contextSwitches(Arena arena) {
        MemorySegment attr = base(arena, LinuxHeaders.PERF_TYPE_SOFTWARE(), LinuxHeaders.PERF_COUNT_SW_DUMMY(), SAMPLE_TYPE);
        setFlags(attr, EXCLUDE_KERNEL | EXCLUDE_HV | SAMPLE_ID_ALL | USE_CLOCKID | CONTEXT_SWITCH);
        return attr;
    }

    /** Every hit of a tracepoint (id from tracefs) or kprobe PMU event, sampled with its raw data. */
    public static MemorySegment everyHit(Arena arena, int type, long config, boolean raw) {
        long sampleType = SAMPLE_TYPE | (raw ? LinuxHeaders.PERF_SAMPLE_RAW() : 0);
        MemorySegment attr = base(arena, type, config, sampleType);
        perf_event_attr.sample_period(attr, 1);
        setFlags(attr, SAMPLE_ID_ALL | USE_CLOCKID);
        return attr;
    }

    private static MemorySegment base(Arena arena, int type, long config, long sampleType) {
        MemorySegment attr = arena.allocate(perf_event_attr.layout());
        perf_event_attr.type(attr, type);
        perf_event_attr.size(attr, (int) perf_event_attr.layout().byteSize());
        perf_event_attr.config(attr, config);
        perf_event_attr.sample_type(attr, sampleType);
        perf_event_attr.clockid(attr, CLOCK_MONOTONIC);
        return attr;
    }

    static void setFlags(MemorySegment attr, long flags) {
        attr.set(ValueLayout.JAVA_LONG, FLAGS_OFFSET, flags);
    }

    static long flags(MemorySegment attr) {
        return attr.get(ValueLayout.JAVA_LONG, FLAGS_OFFSET);
    }
}
