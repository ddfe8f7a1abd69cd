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

    /** Fills the young generation until a collection clears it; returns whether one came within the budget. */
    static boolean empty() {
        WeakReference<Object> canary = new WeakReference<>(new Object());
        long budget = budget();
        for (long allocated = 0; canary.get() != null && allocated < budget; allocated += CHUNK) sink = new byte[CHUNK];
        sink = null;
        return canary.get() == null;
    }
}
