package dev.jkvm.experiment;

import dev.jkvm.bindings.Syscalls;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Closes what a finished experiment no longer needs (its VMs, the recorder's perf rings) on several
 * threads, while the experiment's thread goes on writing the recording. Closing is mostly the kernel's
 * work (KVM destroys each VM, its vCPUs and their mappings; perf frees each ring): 0.5 s for 256 VMs
 * one after another, measured after a SIGTERM at load 25 on this project's host. The closers spend it
 * waiting: for SRCU grace periods and for the process's memory-map lock (KVM unmaps its private
 * memory slots from the process), seen in their wait channels; one closer per CPU of this 2-CPU host
 * needed 1.35-1.58 s for 256 VMs, 32 closers 0.42-0.50 s (2026-11-27, side by side). Started once the
 * report is built (nothing reads a VM after that), it overlaps the JFR write and runs on every CPU the
 * process may use, the experiment CPU included, which is idle by then.
 *
 * <p>Each item is closed by whichever closer takes it; {@link #await} joins them and rethrows the
 * first failure. The items' own closes are idempotent, so their owners' usual closes stay a safe
 * backstop (for a teardown that was never started, or an item that failed).
 */
final class Teardown {
    /**
     * Closers at least, whatever the CPUs: a VM's destruction is mostly the kernel waiting (for RCU
     * and SRCU grace periods), so closers beyond the CPUs overlap those waits.
     */
    static final int MIN_CLOSERS = 32;
    private final List<AutoCloseable> items;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private Thread first;

    private Teardown(List<AutoCloseable> items) {
        this.items = List.copyOf(items);
    }

    /**
     * Starts closing {@code items} (in order, each once) on up to {@link #MIN_CLOSERS} threads, or one
     * per CPU of {@code cpus} if that is more (never more than items), each allowed on {@code cpus}
     * (empty: the creating thread's CPUs). The caller starts only the first closer, which starts the
     * others: a thread's start maps its stack, which waits for the memory-map lock that closing VMs
     * holds, and the caller goes on to write the recording (after a SIGTERM to 256 VMs, from the report
     * to the recording's stop: 20-80 ms with the caller starting 32 closers, 6-10 ms now).
     */
    static Teardown start(List<AutoCloseable> items, BitSet cpus) {
        Teardown t = new Teardown(items);
        int threads = Math.max(1, Math.min(items.size(), Math.max(MIN_CLOSERS, cpus.cardinality())));
        t.first = Thread.ofPlatform().name("teardown-0").daemon(true).unstarted(() -> t.lead(threads, cpus));
        t.first.start();
        return t;
    }

    /** The first closer: starts the other {@code threads - 1}, closes with them, and waits for them. */
    private void lead(int threads, BitSet cpus) {
        List<Thread> others = new ArrayList<>();
        try {
            for (int i = 1; i < threads; i++) {
                Thread closer = Thread.ofPlatform().name("teardown-" + i).daemon(true).unstarted(() -> closeAll(cpus));
                closer.start();
                others.add(closer);
            }
        } catch (OutOfMemoryError e) {
            // No more threads to be had: the closers started so far close everything, only later.
        }
        closeAll(cpus);
        for (Thread closer : others) {
            boolean joined = false;
            while (!joined) {
                try {
                    closer.join();
                    joined = true;
                } catch (InterruptedException e) {
                    // Nothing interrupts a closer; the items must all be closed before await returns.
                }
            }
        }
    }

    private void closeAll(BitSet cpus) {
        if (!cpus.isEmpty()) {
            try {
                Syscalls.setAffinity(Syscalls.gettid(), cpus);
            } catch (RuntimeException e) {
                // Closing where the creator runs is only slower.
            }
        }
        for (int i = next.getAndIncrement(); i < items.size(); i = next.getAndIncrement()) {
            try {
                items.get(i).close();
            } catch (Exception e) {
                failure.compareAndSet(null, e instanceof RuntimeException r ? r : new IllegalStateException(e));
            }
        }
    }

    /** Waits until every item is closed; rethrows the first failure to close one. */
    void await() throws InterruptedException {
        first.join();
        RuntimeException e = failure.get();
        if (e != null) throw e;
    }
}
