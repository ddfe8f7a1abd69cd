package dev.jkvm.experiment;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * Holds every vCPU thread before its first KVM_RUN until all VMs are ready: created, their threads
 * recorded, pinned and niced. Opening it lets all guests start at once; aborting it lets the
 * waiting threads end without running anything (a failure while setting up).
 *
 * <p>The opener wakes every waiting thread itself. A CountDownLatch would not do: it wakes its
 * waiters in a chain, each woken thread waking the next, and when they all share one busy CPU every
 * link waits for its thread's turn there (measured with 64 spinning VMs: some guests started only
 * seconds later, or never within the run).
 */
final class StartGate {
    private static final int CLOSED = 0, OPEN = 1, ABORTED = 2;

    private final Queue<Thread> waiting = new ConcurrentLinkedQueue<>();
    private volatile int state = CLOSED;

    private volatile long releasedNanos;

    /** Lets every waiting thread run its guest; returns the moment (System.nanoTime). */
    long open() {
        long at = System.nanoTime();
        release(OPEN);
        releasedNanos = System.nanoTime();
        return at;
    }

    /**
     * When {@link #open} had made the last waiting thread runnable (System.nanoTime; 0 before): each
     * unpark is a futex wake, which puts the thread on its CPU's run queue before it returns.
     */
    long releasedNanos() {
        return releasedNanos;
    }

    void abort() {
        if (state == CLOSED) release(ABORTED);
    }

    private void release(int to) {
        state = to;
        for (Thread t : waiting) LockSupport.unpark(t);
    }

    /**
     * Waits until the gate opens; true to run the guest, false when the experiment was abandoned.
     * {@code arrived} runs once the thread is queued, just before it parks: from then on only the park
     * itself is left of its work before the gate.
     */
    boolean await(Runnable arrived) {
        // Queued before the state is read: an opener that has not seen this thread yet makes it see OPEN.
        waiting.add(Thread.currentThread());
        arrived.run();
        while (state == CLOSED) LockSupport.park(this);
        return state == OPEN;
    }
}
