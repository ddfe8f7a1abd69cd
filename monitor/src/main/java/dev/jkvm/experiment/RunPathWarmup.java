package dev.jkvm.experiment;

import dev.jkvm.kvm.Kvm;

/**
 * Has the JIT compile KVM_RUN's call path ({@link Kvm#compileRunPath}) on a thread of its own while
 * the VMs are created, so that no vCPU thread allocates on its way from the start gate to its first
 * KVM_RUN. Only where vCPU threads share a CPU: there a vCPU thread that waits for a lock first waits
 * for every other one's turn. The gate opens once it is done, at most {@link #BUDGET_NANOS} after it began.
 */
final class RunPathWarmup {
    static final long BUDGET_NANOS = 1_500_000_000L;
    private static final RunPathWarmup NONE = new RunPathWarmup();

    private final Thread thread; // null: nothing to warm

    private RunPathWarmup() {
        this.thread = null;
    }

    private RunPathWarmup(Kvm kvm) {
        this.thread = Thread.ofPlatform().name("kvm-run-warmup").daemon(true).unstarted(() -> kvm.compileRunPath(BUDGET_NANOS));
    }

    /** Starts the warm-up when two or more vCPU threads will share the experiment CPU. */
    static RunPathWarmup startIfShared(Kvm kvm, ExperimentSpec spec) {
        int vcpus = spec.vms().stream().mapToInt(ExperimentSpec.VmSpec::vcpus).sum();
        if (spec.cpu().isEmpty() || vcpus < 2) return NONE;
        RunPathWarmup w = new RunPathWarmup(kvm);
        w.thread.start();
        return w;
    }

    /** Waits for the warm-up to end (it ends by itself within its budget). */
    void await() throws InterruptedException {
        if (thread != null) thread.join();
    }
}
