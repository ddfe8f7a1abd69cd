package dev.jkvm.experiment;

import dev.jkvm.bindings.Syscalls;
import java.util.BitSet;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * How a vCPU thread leaves the experiment CPU when its loop ends: it moves itself to the monitor's
 * CPUs ({@code to}; empty: it stays) — but not while a stop is still being signalled.
 *
 * <p>Why the wait: a stop sets immediate_exit for every vCPU and then signals each thread from a
 * monitor thread, which runs on those same CPUs. Stopped threads that moved there at once competed
 * with the thread still signalling the rest (seen with 256 VMs: vCPU threads switched in 377 times
 * on the monitor's CPU while others ran their guests on the experiment CPU until 179 ms after the
 * stop instant). Waiting, a stopped thread sleeps on the experiment CPU instead, which also hands
 * that CPU to the threads not yet out of their guests.
 */
final class Departure {
    private final BitSet to;
    /** Stops whose signalling is under way (a signal handler and the main thread may both stop). */
    private final AtomicInteger signalling = new AtomicInteger();
    private final Queue<Thread> waiting = new ConcurrentLinkedQueue<>();

    Departure(BitSet to) {
        this.to = (BitSet) to.clone();
    }

    /** Runs {@code signalAll} while leaving threads wait; they go once it returns or throws. */
    void whileSignalling(Runnable signalAll) {
        signalling.incrementAndGet();
        try {
            signalAll.run();
        } finally {
            if (signalling.decrementAndGet() == 0) {
                for (Thread t; (t = waiting.poll()) != null; ) LockSupport.unpark(t);
            }
        }
    }

    /** Called by a vCPU thread (TID {@code tid}) whose loop has ended: waits out a stop being signalled, then moves. */
    void leave(int tid) {
        if (to.isEmpty() || tid <= 0) return;
        Thread me = Thread.currentThread();
        while (signalling.get() > 0) {
            // Queued (again) before the count is read again: a signaller finishing meanwhile wakes it.
            // The timeout only bounds the cost of a wake-up this reasoning missed.
            waiting.add(me);
            if (signalling.get() > 0) LockSupport.parkNanos(this, 50_000_000);
        }
        try {
            Syscalls.setAffinity(tid, to); // migrates this thread before it returns
        } catch (Throwable e) {
            // Staying on the experiment CPU only costs the recording its final switch-out there.
        }
    }
}
