package dev.jkvm.kvm;

import dev.jkvm.bindings.generated.kvm_cpuid2;
import dev.jkvm.bindings.generated.kvm_cpuid_entry2;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The CPUID a Linux guest gets: KVM_GET_SUPPORTED_CPUID with the "hypervisor present" bit set, as
 * every VMM sets it (KVM leaves it to user space). Linux looks for hypervisor leaves (0x40000000:
 * "KVMKVMKVM", and with it kvmclock and steal time) only when that bit is set; without it, it has no
 * kvmclock and calibrates the TSC against the PIT.
 */
public final class LinuxCpuid {
    /** CPUID.01H:ECX bit 31: running under a hypervisor. */
    static final int HYPERVISOR = 1 << 31;

    private LinuxCpuid() {}

    /** A copy of {@code supported} (a struct kvm_cpuid2) in {@code arena} with the hypervisor bit set. */
    public static MemorySegment of(MemorySegment supported, Arena arena) {
        MemorySegment copy = arena.allocate(supported.byteSize(), 8);
        copy.copyFrom(supported);
        long entrySize = kvm_cpuid_entry2.layout().byteSize();
        long first = kvm_cpuid2.layout().byteSize();
        for (int i = 0; i < kvm_cpuid2.nent(copy); i++) {
            MemorySegment e = copy.asSlice(first + i * entrySize, entrySize);
            if (kvm_cpuid_entry2.function(e) == 1) kvm_cpuid_entry2.ecx(e, kvm_cpuid_entry2.ecx(e) | HYPERVISOR);
        }
        return copy;
    }
}
