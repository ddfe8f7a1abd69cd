package dev.jkvm.sched;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Classifies each sched-in of a vCPU by what its CPU last ran of KVM, which decides whether KVM must
 * load another vCPU's state: a vCPU's first run on the CPU; the same vCPU resumed (another task may
 * have run in between, but the CPU's current VMCS/VMCB is still this vCPU's); or a switch from
 * another vCPU (on VMX a VMPTRLD of a different VMCS). Pure; fed in kernel time order.
 */
public final class SwitchClassifier {

    public enum SwitchClass {
        FIRST_RUN("first run"),
        SAME_VCPU("same vCPU resumed"),
        OTHER_VCPU("switched from another vCPU");

        private final String label;

        SwitchClass(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** The class of a sched-in, and the vCPU the CPU ran last (null when none). */
    public record Classified(SwitchClass switchClass, VcpuId previous) {}

    private final Map<Integer, VcpuId> lastOnCpu = new HashMap<>();
    private final Set<String> seenOnCpu = new HashSet<>();

    /** Classifies a sched-in of {@code vcpu} on {@code cpu} and remembers it as the CPU's last vCPU. */
    public Classified schedIn(VcpuId vcpu, int cpu) {
        VcpuId previous = lastOnCpu.put(cpu, vcpu);
        boolean first = seenOnCpu.add(vcpu.vm() + "/" + vcpu.vcpu() + "@" + cpu);
        SwitchClass c = first ? SwitchClass.FIRST_RUN
                : vcpu.equals(previous) ? SwitchClass.SAME_VCPU
                : SwitchClass.OTHER_VCPU;
        return new Classified(c, previous);
    }

    /**
     * Notes that {@code vcpu} was running on {@code cpu} when recording began (its first record is a
     * sched-out): it is the CPU's last vCPU until another one comes in. Its own first sched-in that
     * the recorder sees is still classified as its first run there.
     */
    public void alreadyRunning(VcpuId vcpu, int cpu) {
        lastOnCpu.put(cpu, vcpu);
    }
}
