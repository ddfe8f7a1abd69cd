package dev.jkvm.experiment;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The recent KVM_RUN enter/leave times of one vCPU thread (System.nanoTime, i.e. CLOCK_MONOTONIC,
 * the clock perf records use), so a context switch the kernel reported at time T can be classified
 * as inside or outside KVM_RUN. Single writer (the vCPU thread), any number of readers.
 *
 * <p>Transitions alternate enter, leave, enter, …, so an even sequence number is an enter. The ring
 * keeps the last {@value #CAPACITY} transitions; older times answer {@link #UNKNOWN}.
 */
public final class KvmRunTrace {
    public static final int INSIDE = 1, OUTSIDE = 0, UNKNOWN = -1;
    static final int CAPACITY = 1 << 16;
    private static final int MASK = CAPACITY - 1;

    private final long[] times = new long[CAPACITY];
    /** Transitions written so far; published with release semantics after the time is stored. */
    private final AtomicLong written = new AtomicLong();
    private long next;

    void enter(long nanos) {
        append(nanos);
    }

    void leave(long nanos) {
        append(nanos);
    }

    private void append(long nanos) {
        times[(int) (next & MASK)] = nanos;
        next++;
        written.lazySet(next);
    }

    /** Whether the thread was inside KVM_RUN at {@code nanos}: {@link #INSIDE}, {@link #OUTSIDE} or {@link #UNKNOWN}. */
    public int stateAt(long nanos) {
        long n = written.get();
        if (n == 0) return OUTSIDE;
        // Keep a margin: the writer may be overwriting the oldest slot while we read.
        long oldest = Math.max(0, n - CAPACITY + 64);
        if (times[(int) (oldest & MASK)] > nanos) return oldest == 0 ? OUTSIDE : UNKNOWN;
        return (lastAtOrBefore(nanos, oldest, n) & 1) == 0 ? INSIDE : OUTSIDE;
    }

    /**
     * How many times the thread left KVM_RUN (each a VM exit jkvm handled) after {@code from} and up
     * to {@code to}; -1 when {@code from} is older than the retained transitions.
     */
    public long leavesBetween(long from, long to) {
        long n = written.get();
        if (n == 0 || to <= from) return 0;
        long oldest = Math.max(0, n - CAPACITY + 64);
        if (times[(int) (oldest & MASK)] > from && oldest != 0) return UNKNOWN;
        long a = times[(int) (oldest & MASK)] > from ? -1 : lastAtOrBefore(from, oldest, n);
        long b = times[(int) (oldest & MASK)] > to ? -1 : lastAtOrBefore(to, oldest, n);
        // Leaves have odd sequence numbers; count those in (a, b].
        return (b + 1) / 2 - (a + 1) / 2;
    }

    /** The last transition at or before {@code nanos}, given the oldest retained one is not after it. */
    private long lastAtOrBefore(long nanos, long oldest, long n) {
        long lo = oldest, hi = n - 1;
        while (lo < hi) {
            long mid = (lo + hi + 1) >>> 1;
            if (times[(int) (mid & MASK)] <= nanos) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }
}
