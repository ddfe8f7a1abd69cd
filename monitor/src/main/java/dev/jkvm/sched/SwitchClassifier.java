package dev.jkvm.sched;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Answers jkvm's question for every sched-in of a vCPU thread: did KVM have to load another vCPU's
 * state here? KVM loads a vCPU on a CPU (kvm_arch_vcpu_load, and on VMX a VMPTRLD when the CPU's
 * current VMCS is another one) in two places: at every KVM_RUN ioctl entry (vcpu_load), and in the
 * preempt notifier kvm_sched_in, which is registered only while the thread is inside KVM_RUN. So the
 * classifier keeps, per CPU, the vCPU loaded last, updated by sched-ins inside KVM_RUN and by slices
 * during which the thread entered KVM_RUN; sched-ins outside KVM_RUN load nothing and change nothing,
 * and neither do idle or foreign tasks. Pure; fed in kernel time order.
 */
public final class SwitchClassifier {

    public enum SwitchClass {
        /** Inside KVM_RUN, and no vCPU known to be loaded on the CPU yet. */
        FIRST_LOAD("first load on this CPU"),
        /** Inside KVM_RUN, and the CPU's loaded vCPU is this one: no VMPTRLD expected. */
        SAME_VCPU("same vCPU reloaded"),
        /** Inside KVM_RUN, and another vCPU was loaded last: VMPTRLD (VMCB switch) expected. */
        OTHER_VCPU("another vCPU was loaded"),
        /** The thread was outside KVM_RUN: KVM loads nothing at this sched-in. */
        OUTSIDE_KVM_RUN("outside KVM_RUN"),
        /** The CPU's loaded vCPU is not known: records were lost, or the thread's KVM_RUN history is. */
        UNKNOWN("unknown (records lost)");

        private final String label;

        SwitchClass(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** The class of a sched-in, and the vCPU loaded on the CPU before it (null when none or unknown). */
    public record Classified(SwitchClass switchClass, VcpuId loadedBefore) {}

    private final Map<Integer, VcpuId> loaded = new HashMap<>();
    /** CPUs whose loaded vCPU is unknown (after lost records), until a load re-establishes it. */
    private final Set<Integer> unknownCpus = new HashSet<>();
    private boolean everythingUnknown;

    /**
     * Classifies a sched-in of {@code vcpu} on {@code cpu}; {@code kvmRunState} is
     * {@link KvmRunTrace#INSIDE}, {@link KvmRunTrace#OUTSIDE} or {@link KvmRunTrace#UNKNOWN}.
     */
    public Classified schedIn(VcpuId vcpu, int cpu, int kvmRunState) {
        if (kvmRunState == KvmRunTrace.OUTSIDE) return new Classified(SwitchClass.OUTSIDE_KVM_RUN, known(cpu));
        if (kvmRunState != KvmRunTrace.INSIDE) {
            forget(cpu);
            return new Classified(SwitchClass.UNKNOWN, null);
        }
        if (isUnknown(cpu)) {
            load(vcpu, cpu);
            return new Classified(SwitchClass.UNKNOWN, null);
        }
        VcpuId before = loaded.get(cpu);
        load(vcpu, cpu);
        SwitchClass c = before == null ? SwitchClass.FIRST_LOAD
                : before.equals(vcpu) ? SwitchClass.SAME_VCPU
                : SwitchClass.OTHER_VCPU;
        return new Classified(c, before);
    }

    /**
     * A slice of {@code vcpu} on {@code cpu} ended; {@code enteredKvmRun} says whether the thread was
     * inside KVM_RUN at some moment of it ({@link KvmRunTrace#insideDuring}). If it was, the vCPU was
     * loaded on the CPU (at the sched-in or at the ioctl's entry) and is the CPU's loaded vCPU now.
     */
    public void sliceEnded(VcpuId vcpu, int cpu, int enteredKvmRun) {
        if (enteredKvmRun == KvmRunTrace.INSIDE) load(vcpu, cpu);
        else if (enteredKvmRun == KvmRunTrace.UNKNOWN) forget(cpu);
    }

    /** Records were lost: no CPU's loaded vCPU is known any more, until the next load on it. */
    public void lostRecords() {
        everythingUnknown = true;
        unknownCpus.clear();
        loaded.clear();
    }

    /** The vCPU loaded last on {@code cpu}, or null when none or unknown. */
    public VcpuId loadedOn(int cpu) {
        return known(cpu);
    }

    private VcpuId known(int cpu) {
        return isUnknown(cpu) ? null : loaded.get(cpu);
    }

    private boolean isUnknown(int cpu) {
        return unknownCpus.contains(cpu) || (everythingUnknown && !loaded.containsKey(cpu));
    }

    private void load(VcpuId vcpu, int cpu) {
        loaded.put(cpu, vcpu);
        unknownCpus.remove(cpu);
    }

    private void forget(int cpu) {
        loaded.remove(cpu);
        unknownCpus.add(cpu);
    }
}
