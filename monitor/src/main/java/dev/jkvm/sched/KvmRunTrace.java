package dev.jkvm.sched;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The recent KVM_RUN enter/leave times of one vCPU thread (System.nanoTime, i.e. CLOCK_MONOTONIC,
 * the clock perf records use), so a context switch the kernel reported at time T can be classified
 * as inside or outside KVM_RUN. Single writer (the vCPU thread), any number of readers.
 *
 * <p>Transitions alternate enter, leave, enter, …, so an even sequence number is an enter. The ring
 * keeps the last {@value #CAPACITY} transitions (64 KiB: at the fastest exit rate seen, about 9 µs per
 * exit, that is 70 ms of history, while the recorder asks about records at most a few ms old); older
 * times answer {@link #UNKNOWN}.
 */
public final class KvmRunTrace {
    public static final int INSIDE = 1, OUTSIDE = 0, UNKNOWN = -1;
    static final int CAPACITY = 1 << 13;
    private static final int MASK = CAPACITY - 1;

    private final long[] times = new long[CAPACITY];
    /** Transitions written so far; published with release semantics after the time is stored. */
    private final AtomicLong written = new AtomicLong();
    private long next;

    public void enter(long nanos) {
        append(nanos);
    }

    public void leave(long nanos) {
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
        long last = lastAtOrBefore(nanos, n);
        if (last == TOO_OLD) return UNKNOWN;
        if (last < 0) return OUTSIDE;
        return (last & 1) == 0 ? INSIDE : OUTSIDE;
    }

    /**
     * Whether the thread was inside KVM_RUN at any moment of [{@code from}, {@code to}]: inside at
     * {@code from}, or entered after it and no later than {@code to}. {@link #UNKNOWN} when that
     * history is overwritten.
     */
    public int insideDuring(long from, long to) {
        long n = written.get();
        if (n == 0) return OUTSIDE;
        long last = lastAtOrBefore(from, n);
        if (last == TOO_OLD) return UNKNOWN;
        if (last >= 0 && (last & 1) == 0) return INSIDE;
        long next = last + 1; // outside at `from`, so the next transition is an enter
        return next < n && times[(int) (next & MASK)] <= to ? INSIDE : OUTSIDE;
    }

    /**
     * How many times the thread left KVM_RUN (each an exit jkvm handled) after {@code from} and up to
     * {@code to}; {@link #UNKNOWN} when that history is overwritten.
     */
    public long leavesBetween(long from, long to) {
        long n = written.get();
        if (n == 0 || to <= from) return 0;
        long a = lastAtOrBefore(from, n), b = lastAtOrBefore(to, n);
        if (a == TOO_OLD || b == TOO_OLD) return UNKNOWN;
        // Leaves have odd sequence numbers; count those in (a, b] (a is -1 before the first transition).
        return (b + 1) / 2 - (a + 1) / 2;
    }

    private static final long TOO_OLD = Long.MIN_VALUE;

    /** The sequence number of the last transition at or before {@code nanos}, -1 if none ever, {@link #TOO_OLD} if overwritten. */
    private long lastAtOrBefore(long nanos, long n) {
        // Keep a margin: the writer may be overwriting the oldest slot while we read.
        long oldest = Math.max(0, n - CAPACITY + 64);
        if (times[(int) (oldest & MASK)] > nanos) return oldest == 0 ? -1 : TOO_OLD;
        long lo = oldest, hi = n - 1;
        while (lo < hi) {
            long mid = (lo + hi + 1) >>> 1;
            if (times[(int) (mid & MASK)] <= nanos) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }
}
