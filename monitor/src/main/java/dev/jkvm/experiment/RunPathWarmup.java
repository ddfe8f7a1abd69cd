package dev.jkvm.experiment;

import dev.jkvm.kvm.Kvm;
import java.util.function.BooleanSupplier;

/**
 * Has the JIT compile KVM_RUN's call path ({@link Kvm#compileRunPath}) on a thread of its own while
 * the VMs are created, so that no vCPU thread allocates on its way from the start gate to its first
 * KVM_RUN. Only where {@value #MIN_SHARING} or more vCPU threads share a CPU: there a vCPU thread that
 * waits for a lock first waits for every other one's turn; with fewer, such a wait costs a few slices,
 * less than the warm-up itself (0.16–0.3 s in a fresh JVM). The vCPU threads start once it is done, at
 * most {@link #BUDGET_NANOS} after it began, or at once when the run is stopped meanwhile. Closed
 * before the KVM fd it uses.
 */
final class RunPathWarmup implements AutoCloseable {
    static final long BUDGET_NANOS = 1_500_000_000L;
    static final int MIN_SHARING = 8;
    private static final RunPathWarmup NONE = new RunPathWarmup();

    private final Thread thread; // null: nothing to warm
    private volatile boolean cancelled;

    private RunPathWarmup() {
        this.thread = null;
    }

    private RunPathWarmup(Kvm kvm) {
        this.thread = Thread.ofPlatform().name("kvm-run-warmup").daemon(true)
                .unstarted(() -> kvm.compileRunPath(BUDGET_NANOS, () -> cancelled));
    }

    /** Starts the warm-up when {@value #MIN_SHARING} or more vCPU threads will share the experiment CPU. */
    static RunPathWarmup startIfShared(Kvm kvm, ExperimentSpec spec) {
        int vcpus = spec.vms().stream().mapToInt(ExperimentSpec.VmSpec::vcpus).sum();
        if (spec.cpu().isEmpty() || vcpus < MIN_SHARING) return NONE;
        RunPathWarmup w = new RunPathWarmup(kvm);
        w.thread.start();
        return w;
    }

    /** Waits until the warm-up ends (within its budget) or {@code stopped} says the run was stopped. */
    void await(BooleanSupplier stopped) throws InterruptedException {
        if (thread == null) return;
        while (thread.isAlive() && !stopped.getAsBoolean()) thread.join(5);
    }

    /** Ends the warm-up now and waits for its thread, so that it calls nothing on a closed KVM fd. */
    @Override
    public void close() throws InterruptedException {
        cancelled = true;
        if (thread != null) thread.join();
    }
}
