package dev.jkvm.experiment;

import dev.jkvm.exits.ExitStats;
import dev.jkvm.kvm.KvmStatsFd;
import dev.jkvm.kvm.Vcpu;
import dev.jkvm.sched.KvmRunTrace;

/**
 * One vCPU of a {@link VmInstance}: the KVM vCPU (owned by its Vm), its exit counts, its KVM_RUN
 * trace, its KVM statistics (owned here) and, once made, the thread that runs it. Named {@code vmN}
 * when it is its VM's only vCPU, else {@code vmN/cpuK}.
 */
final class VmVcpu implements AutoCloseable {
    private final String name;
    private final Vcpu vcpu;
    private final ExitStats stats = new ExitStats();
    private final KvmRunTrace trace = new KvmRunTrace();
    private final KvmStatsFd kvmStats;
    private VcpuThread thread;

    VmVcpu(String name, Vcpu vcpu, KvmStatsFd kvmStats) {
        this.name = name;
        this.vcpu = vcpu;
        this.kvmStats = kvmStats;
    }

    /** The name output and reports use: {@code vm0} for a VM of one vCPU, {@code vm0/cpu1} in an SMP VM. */
    static String nameOf(String vm, int index, int count) {
        return count == 1 ? vm : vm + "/cpu" + index;
    }

    String name() {
        return name;
    }

    int index() {
        return vcpu.id();
    }

    Vcpu vcpu() {
        return vcpu;
    }

    ExitStats stats() {
        return stats;
    }

    KvmRunTrace trace() {
        return trace;
    }

    /** KVM's statistics of this vCPU, or null when this KVM has no binary stats or JFR is not initialized (nothing records them). */
    KvmStatsFd kvmStats() {
        return kvmStats;
    }

    void setThread(VcpuThread thread) {
        if (this.thread != null) throw new IllegalStateException(name + " already has a thread");
        this.thread = thread;
    }

    /** The thread, or null before {@link VmInstance#newThreads}. */
    VcpuThread thread() {
        return thread;
    }

    @Override
    public void close() {
        if (kvmStats != null) kvmStats.close();
    }
}
