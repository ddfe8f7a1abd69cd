package dev.jkvm.experiment;

import dev.jkvm.guest.GuestImage;
import dev.jkvm.guest.GuestManifest;
import dev.jkvm.kvm.CpuSetup;
import dev.jkvm.kvm.GuestMemory;
import dev.jkvm.kvm.MpState;
import dev.jkvm.kvm.Vcpu;

/**
 * How each vCPU of a VM is set up before it first runs. vCPU 0, the bootstrap processor, always
 * starts at the guest's entry. The application processors start as the manifest's {@code ap-start}
 * says: DIRECT sets each up like vCPU 0 (its own stack, its index in RDX, the count in RCX) and,
 * with the in-kernel LAPIC, makes it runnable (KVM would otherwise hold it for INIT/SIPI); SIPI
 * leaves it in KVM's reset state, waiting inside KVM_RUN for the guest's INIT and start-up IPI.
 */
final class ApStarts {
    private ApStarts() {}

    /** What happens to vCPU {@code index} of {@code count} before its first KVM_RUN. */
    enum Setup {
        /** Registers at the guest's entry (vCPU 0, and every AP with ap-start = direct). */
        AT_ENTRY,
        /** Registers at the entry and the MP state forced to runnable (direct APs with the in-kernel LAPIC). */
        AT_ENTRY_RUNNABLE,
        /** Nothing: KVM's reset state, waiting for INIT/SIPI (ap-start = sipi). */
        AWAIT_SIPI
    }

    static Setup setupOf(int index, GuestManifest.ApStart apStart, boolean irqchip) {
        if (index == 0) return Setup.AT_ENTRY;
        if (apStart == GuestManifest.ApStart.SIPI) return Setup.AWAIT_SIPI;
        return irqchip ? Setup.AT_ENTRY_RUNNABLE : Setup.AT_ENTRY;
    }

    static void setUp(Vcpu vcpu, GuestMemory memory, GuestImage guest, long arg, int count, boolean irqchip) {
        GuestManifest m = guest.manifest();
        switch (setupOf(vcpu.id(), m.apStart(), irqchip)) {
            case AT_ENTRY -> CpuSetup.apply(vcpu, memory, m.mode(), guest.entry(), arg, vcpu.tscKhz(), vcpu.id(), count);
            case AT_ENTRY_RUNNABLE -> {
                CpuSetup.apply(vcpu, memory, m.mode(), guest.entry(), arg, vcpu.tscKhz(), vcpu.id(), count);
                vcpu.setMpState(MpState.RUNNABLE);
            }
            case AWAIT_SIPI -> { }
        }
    }
}
