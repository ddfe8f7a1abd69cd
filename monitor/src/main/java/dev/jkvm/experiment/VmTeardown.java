package dev.jkvm.experiment;

import dev.jkvm.bindings.Syscalls;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Closes the VMs of a finished experiment on a few threads of their own, while the experiment's
 * thread goes on writing the recording. Closing is mostly the kernel's work (KVM destroys each VM, its
 * vCPUs and their mappings): about 2 ms per VM on this project's host, 0.5 s for 256 VMs, one after
 * another. Started once the report is built (nothing reads a VM after that), it overlaps the JFR
 * write and runs on every CPU the process may use, the experiment CPU included, which is idle by then.
 *
 * <p>Each VM is closed exactly once, by whichever closer takes it; {@link #await} joins them and
 * rethrows the first failure. A VM's own close is idempotent, so the experiment's final close loop
 * stays a safe backstop for a teardown that was never started.
 */
final class VmTeardown {
    private final List<VmInstance> vms;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private final List<Thread> closers = new ArrayList<>();

    private VmTeardown(List<VmInstance> vms) {
        this.vms = List.copyOf(vms);
    }

    /**
     * Starts closing {@code vms} on up to {@code cpus.cardinality()} threads (at least one), each
     * allowed on {@code cpus} (empty: the creating thread's CPUs).
     */
    static VmTeardown start(List<VmInstance> vms, BitSet cpus) {
        VmTeardown t = new VmTeardown(vms);
        int threads = Math.max(1, Math.min(vms.size(), Math.max(1, cpus.cardinality())));
        for (int i = 0; i < threads; i++) {
            Thread closer = Thread.ofPlatform().name("vm-teardown-" + i).daemon(true).unstarted(() -> t.closeAll(cpus));
            t.closers.add(closer);
            closer.start();
        }
        return t;
    }

    private void closeAll(BitSet cpus) {
        if (!cpus.isEmpty()) {
            try {
                Syscalls.setAffinity(Syscalls.gettid(), cpus);
            } catch (RuntimeException e) {
                // Closing where the creator runs is only slower.
            }
        }
        for (int i = next.getAndIncrement(); i < vms.size(); i = next.getAndIncrement()) {
            try {
                vms.get(i).close();
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            }
        }
    }

    /** Waits until every VM is closed; rethrows the first failure to close one. */
    void await() throws InterruptedException {
        for (Thread t : closers) t.join();
        RuntimeException e = failure.get();
        if (e != null) throw e;
    }
}
