package dev.jkvm.sched;

import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The recent KVM_RUN enter/leave times of one vCPU thread (System.nanoTime, i.e. CLOCK_MONOTONIC,
 * the clock perf records use), so a context switch the kernel reported at time T can be classified
 * as inside or outside KVM_RUN. Single writer (the vCPU thread), any number of readers.
 *
 * <p>Transitions alternate enter, leave, enter, …, so an even sequence number is an enter. The ring
 * keeps the last transitions, at most {@value #MAX_CAPACITY} (64 KiB: at the fastest exit rate seen,
 * about 9 µs per exit, that is 70 ms of history, while the recorder asks about records at most a few
 * ms old, and about waits as long as a scheduler round); older times answer {@link #UNKNOWN}.
 *
 * <p>It starts at {@value #INITIAL_CAPACITY} transitions and doubles only when a transition would
 * overwrite one less than {@link #KEEP_NANOS} old: a vCPU that rarely exits (a spinning or halted
 * guest, most of them when hundreds of VMs share a CPU) keeps its whole history in 512 bytes,
 * instead of zeroing 64 KiB of heap per vCPU that it never writes.
 */
public final class KvmRunTrace {
    public static final int INSIDE = 1, OUTSIDE = 0, UNKNOWN = -1;
    static final int INITIAL_CAPACITY = 1 << 6;
    static final int MAX_CAPACITY = 1 << 13;
    /** History the ring grows to keep while below {@link #MAX_CAPACITY}: longer than a scheduler round at 1,024 VMs on one CPU plus the recorder's lag. */
    static final long KEEP_NANOS = 5_000_000_000L;

    /**
     * The slots and the first sequence number they hold ({@code floor}: after a growth, sequence
     * numbers below it were not copied). Replaced whole, so a reader sees a matching pair.
     */
    private record Ring(long[] times, long floor) {
        int mask() {
            return times.length - 1;
        }
    }

    private volatile Ring ring = new Ring(new long[INITIAL_CAPACITY], 0);
    /** Transitions written so far; published with release semantics after the time is stored. */
    private final AtomicLong written = new AtomicLong();
    /** Sequence numbers below this may have been overwritten; raised before a slot is overwritten. */
    private final AtomicLong overwritten = new AtomicLong();
    private long next;
    private long growthBytes;

    public void enter(long nanos) {
        append(nanos);
    }

    public void leave(long nanos) {
        append(nanos);
    }

    private void append(long nanos) {
        Ring r = ring;
        long[] times = r.times;
        if (next - r.floor >= times.length) { // full: this transition takes the slot of transition next - length
            if (times.length < MAX_CAPACITY && nanos - times[(int) (next & r.mask())] < KEEP_NANOS) {
                r = grow(r);
                times = r.times;
            } else {
                overwritten.setOpaque(next - times.length + 1);
                VarHandle.releaseFence(); // readers learn of the overwrite before the slot changes
            }
        }
        times[(int) (next & r.mask())] = nanos;
        next++;
        written.lazySet(next);
    }

    /** Doubles the ring, copying the transitions it holds; published before anything is written to it. */
    private Ring grow(Ring r) {
        int length = r.times.length;
        long allocatedBefore = allocatedBytes();
        long[] bigger = new long[length * 2];
        long from = next - length;
        for (long s = from; s < next; s++) bigger[(int) (s & (bigger.length - 1))] = r.times[(int) (s & r.mask())];
        Ring grown = new Ring(bigger, from);
        growthBytes += allocatedBytes() - allocatedBefore;
        ring = grown;
        return grown;
    }

    private static final com.sun.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t ? t : null;

    private static long allocatedBytes() {
        return THREADS == null ? 0 : THREADS.getCurrentThreadAllocatedBytes();
    }

    /**
     * The heap the writer allocated growing the ring, as the JVM counts its thread's allocation
     * (0 where it cannot tell): at most about 128 KiB in all, once. Read by the writer's thread, so
     * its KVM_RUN loop can report what it allocates per exit apart from this.
     */
    public long growthBytes() {
        return growthBytes;
    }

    /** The slots the ring has now (for tests: it grows only as the history kept needs). */
    int capacity() {
        return ring.times.length;
    }

    /** Whether the thread was inside KVM_RUN at {@code nanos}: {@link #INSIDE}, {@link #OUTSIDE} or {@link #UNKNOWN}. */
    public int stateAt(long nanos) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            long n = written.get();
            if (n == 0) return OUTSIDE;
            Ring r = ring; // read after `written`: holds every transition below n
            long oldest = oldest(r, n);
            long last = lastAtOrBefore(r, oldest, nanos, n);
            if (!stillHeld(r, Math.max(oldest, last))) continue;
            if (last == TOO_OLD) return UNKNOWN;
            if (last < 0) return OUTSIDE;
            return (last & 1) == 0 ? INSIDE : OUTSIDE;
        }
        return UNKNOWN;
    }

    /**
     * Whether the thread was inside KVM_RUN at any moment of [{@code from}, {@code to}]: inside at
     * {@code from}, or entered after it and no later than {@code to}. {@link #UNKNOWN} when that
     * history is overwritten.
     */
    public int insideDuring(long from, long to) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            long n = written.get();
            if (n == 0) return OUTSIDE;
            Ring r = ring;
            long oldest = oldest(r, n);
            long last = lastAtOrBefore(r, oldest, from, n);
            long next = last + 1; // when outside at `from`, the next transition is an enter
            boolean enteredBy = last != TOO_OLD && next < n && r.times[(int) (next & r.mask())] <= to;
            if (!stillHeld(r, Math.max(oldest, last))) continue;
            if (last == TOO_OLD) return UNKNOWN;
            if (last >= 0 && (last & 1) == 0) return INSIDE;
            return enteredBy ? INSIDE : OUTSIDE;
        }
        return UNKNOWN;
    }

    /**
     * How many times the thread left KVM_RUN (each an exit jkvm handled) after {@code from} and up to
     * {@code to}; {@link #UNKNOWN} when that history is overwritten.
     */
    public long leavesBetween(long from, long to) {
        if (to <= from) return 0;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            long n = written.get();
            if (n == 0) return 0;
            Ring r = ring;
            long oldest = oldest(r, n);
            long a = lastAtOrBefore(r, oldest, from, n), b = lastAtOrBefore(r, oldest, to, n);
            if (!stillHeld(r, Math.max(oldest, a))) continue; // a <= b: the earlier search read the lower slots
            if (a == TOO_OLD || b == TOO_OLD) return UNKNOWN;
            // Leaves have odd sequence numbers; count those in (a, b] (a is -1 before the first transition).
            return (b + 1) / 2 - (a + 1) / 2;
        }
        return UNKNOWN;
    }

    /** Tries of a query the writer overtook (it overwrote a slot the query read) before it answers unknown. */
    private static final int ATTEMPTS = 3;
    private static final long TOO_OLD = Long.MIN_VALUE;

    /** The first sequence number {@code r} held when {@code n} transitions were written. */
    private static long oldest(Ring r, long n) {
        return Math.max(r.floor, n - r.times.length);
    }

    /**
     * Whether every slot a query of {@code r} read, all at sequence numbers from {@code lowest} on,
     * still held what it read: the ring was not replaced, and the writer has not begun to overwrite
     * any of them. (A binary search reads no slot below the one it returns, nor below where it
     * started.)
     */
    private boolean stillHeld(Ring r, long lowest) {
        VarHandle.acquireFence(); // the slots were read before what the writer overwrote is read
        return ring == r && lowest >= overwritten.getOpaque();
    }

    /**
     * The sequence number of the last transition at or before {@code nanos} among those from
     * {@code oldest} below {@code n}: -1 if there was none ever, {@link #TOO_OLD} if it was overwritten.
     */
    private static long lastAtOrBefore(Ring r, long oldest, long nanos, long n) {
        long[] times = r.times;
        int mask = r.mask();
        long lo = oldest - 1, hi = n - 1; // lo: the last known at or before nanos (oldest - 1: none yet)
        while (lo < hi) {
            long mid = (lo + hi + 1) >>> 1;
            if (times[(int) (mid & mask)] <= nanos) lo = mid;
            else hi = mid - 1;
        }
        if (lo >= oldest) return lo;
        return oldest == 0 ? -1 : TOO_OLD;
    }
}
