package dev.jkvm.experiment;

import java.lang.ref.WeakReference;

/**
 * Empties the young generation before a timed run, so that no young collection comes inside it: the
 * set-up leaves it half full at 256 VMs, and a collection within the run (26-65 ms) stops the recorder
 * and holds every vCPU thread that returns from KVM_RUN meanwhile.
 *
 * <p>It fills the young generation with short-lived garbage until the collector runs, seen by a weakly
 * held canary being cleared. {@code System.gc()} did the same job but is a full collection (22-68 ms
 * here) and is what JMC's "GCs Caused by System.gc()" rule warns about: every timed recording carried
 * that warning, about jkvm itself. A collector that never clears the canary (Epsilon, or one that is
 * slow to run) stops the filling at {@link #budget}, so at most that much is allocated.
 */
final class YoungGeneration {
    /** The last chunk allocated, published so the allocations cannot be optimised away. */
    static volatile byte[] sink;

    private static final int CHUNK = 1 << 20;

    private YoungGeneration() {}

    /** The most this allocates: half the heap's free room, at least 64 MiB and at most 1 GiB. */
    static long budget() {
        return Math.min(1L << 30, Math.max(64L << 20, Runtime.getRuntime().freeMemory() / 2));
    }

    /**
     * {@link #empty} where the heap holds much (an eighth of it or more in use, so eden may be near
     * half full), else nothing. Filling costs the first touch of eden's pages in a young JVM: 56 ms
     * before a hello run's gate and 92-120 ms at 256 VMs (System.gc() took 22 and 38-68 ms), while
     * the set-up leaves only 10-31 MiB of a 365 MiB heap in use (hello to 256 VMs, 2026-11-28): room
     * for many seconds of a run's few MB/s. Returns whether it filled.
     */
    static boolean emptyIfFull() {
        Runtime rt = Runtime.getRuntime();
        long used = rt.totalMemory() - rt.freeMemory();
        if (used < rt.totalMemory() / 8) return false;
        empty();
        return true;
    }

    /** Fills the young generation until a collection clears it; returns whether one came within the budget. */
    static boolean empty() {
        WeakReference<Object> canary = new WeakReference<>(new Object());
        long budget = budget();
        for (long allocated = 0; canary.get() != null && allocated < budget; allocated += CHUNK) sink = new byte[CHUNK];
        sink = null;
        return canary.get() == null;
    }
}
