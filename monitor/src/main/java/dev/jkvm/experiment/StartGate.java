package dev.jkvm.experiment;

import java.util.concurrent.CountDownLatch;

/**
 * Holds every vCPU thread before its first KVM_RUN until all VMs are ready: created, their threads
 * recorded, pinned and niced. Opening it lets all guests start at once; aborting it lets the
 * waiting threads end without running anything (a failure while setting up).
 */
final class StartGate {
    private final CountDownLatch latch = new CountDownLatch(1);
    private volatile boolean aborted;
    private volatile long openedAt;

    /** Lets every waiting thread run its guest; returns the moment (System.nanoTime). */
    long open() {
        openedAt = System.nanoTime();
        latch.countDown();
        return openedAt;
    }

    void abort() {
        aborted = true;
        latch.countDown();
    }

    /** Waits until the gate opens; true to run the guest, false when the experiment was abandoned. */
    boolean await() throws InterruptedException {
        latch.await();
        return !aborted;
    }

    /** When the gate opened, or 0. */
    long openedAt() {
        return openedAt;
    }
}
