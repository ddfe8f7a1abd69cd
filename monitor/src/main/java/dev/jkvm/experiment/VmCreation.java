package dev.jkvm.experiment;

import dev.jkvm.bindings.Syscalls;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

/**
 * Creates an experiment's VMs on several threads before its start gate. Creating a VM is mostly the
 * kernel's work: KVM_CREATE_VM, mapping and faulting in guest RAM (about 2 ms per 4 MiB guest on this
 * project's host, where page faults cost about 2 µs each), the vCPUs and their set-up. One thread
 * took 1.36 s for 256 spin VMs, 0.6 s of it faulting in RAM, while the experiment CPU sat idle: no
 * guest runs before the gate. The creators run on every CPU the process may use, the experiment CPU
 * included (nothing is recorded or measured there before the gate).
 *
 * <p>Each index is created once, by whichever creator takes it; the caller gets the VMs in index
 * order. A creation that fails stops the others from taking more; every VM created by then is still
 * handed to the caller (which owns and closes them) and the failure of the lowest index is thrown.
 */
final class VmCreation<T> {
    /**
     * Creators, whatever the CPUs: creating 256 spin VMs in a fresh JVM took 1.6-2.0 s with one thread,
     * 1.27-1.35 s with two, 1.05-1.32 s with four and 1.01-1.23 s with eight (3 rounds, 2026-11-27, this
     * 2-CPU host): a creator also waits for the memory-map lock (mmap, KVM_CREATE_VM's MMU notifier,
     * madvise) and for RCU, and others use the CPU meanwhile.
     */
    static final int CREATORS = 4;
    /** Below this many VMs the calling thread creates them alone: starting threads would cost more than it saves. */
    static final int MIN_PARALLEL = 8;

    private final IntFunction<T> factory;
    private final BooleanSupplier stopped;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicReferenceArray<T> created;
    private final AtomicReferenceArray<Throwable> failures;
    private volatile boolean failed;

    private VmCreation(int count, IntFunction<T> factory, BooleanSupplier stopped) {
        this.factory = factory;
        this.stopped = stopped;
        this.created = new AtomicReferenceArray<>(count);
        this.failures = new AtomicReferenceArray<>(count);
    }

    /**
     * Creates VMs 0 to {@code count - 1} ({@code factory} is called from any creator thread, each index
     * once) with {@code creators} threads allowed on {@code cpus} (empty: the caller's CPUs), the calling
     * thread one of them, until all are made, one fails, or {@code stopped} says the run was stopped.
     * Adds every VM created to {@code into}, in index order, before it returns or throws; throws the
     * failure of the lowest index, as it was thrown.
     */
    static <T> void createAll(int count, int creators, BitSet cpus, IntFunction<T> factory, BooleanSupplier stopped, List<? super T> into)
            throws InterruptedException {
        VmCreation<T> c = new VmCreation<>(count, factory, stopped);
        int threads = count < MIN_PARALLEL ? 1 : Math.max(1, Math.min(creators, count));
        List<Thread> helpers = new ArrayList<>();
        try {
            for (int i = 1; i < threads; i++) {
                Thread t = Thread.ofPlatform().name("vm-creator-" + i).daemon(true).unstarted(() -> c.createOn(cpus));
                t.start();
                helpers.add(t);
            }
        } catch (OutOfMemoryError e) {
            // No more threads to be had: those started so far, and this one, create them all.
        }
        try {
            c.create(); // the caller creates too, where it is (moving it would move the monitor's main thread)
        } finally {
            InterruptedException interrupted = null;
            for (Thread t : helpers) {
                while (true) {
                    try {
                        t.join();
                        break;
                    } catch (InterruptedException e) {
                        c.failed = true; // the helpers stop after the VM in hand; their VMs must still reach the owner
                        interrupted = e;
                    }
                }
            }
            for (int i = 0; i < count; i++) {
                T vm = c.created.get(i);
                if (vm != null) into.add(vm);
            }
            if (interrupted != null) throw interrupted;
        }
        for (int i = 0; i < count; i++) {
            Throwable e = c.failures.get(i);
            if (e instanceof RuntimeException r) throw r;
            if (e instanceof Error r) throw r;
        }
    }

    private void createOn(BitSet cpus) {
        if (!cpus.isEmpty()) {
            try {
                Syscalls.setAffinity(Syscalls.gettid(), cpus);
            } catch (RuntimeException e) {
                // Creating where the caller's threads run is only slower.
            }
        }
        create();
    }

    private void create() {
        for (int i = next.getAndIncrement(); i < created.length() && !failed && !stopped.getAsBoolean(); i = next.getAndIncrement()) {
            try {
                created.set(i, factory.apply(i));
            } catch (RuntimeException | Error e) { // rethrown as they are by the caller's thread
                failures.set(i, e);
                failed = true;
            }
        }
    }
}
