package dev.jkvm.kvm;

import dev.jkvm.bindings.generated.kvm_cpuid2;
import dev.jkvm.bindings.generated.kvm_cpuid_entry2;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The CPUID a Linux guest gets: KVM_GET_SUPPORTED_CPUID (KVM's paravirtual leaves included, so the
 * guest finds kvmclock and steal time) with CMPXCHG16B and XSAVE hidden. Why XSAVE: on kvm_pvm the
 * kernel's first {@code xrstor64} (FPU set-up, instruction {@code 48 0f ae 2f}) ends in an emulation
 * failure; without XSAVE Linux uses FXSAVE/FXRSTOR and no AVX state. Why CMPXCHG16B: on kvm_pvm (a KVM that shadows
 * guest page tables) a {@code lock cmpxchg16b} that lands on a page KVM write-protects is an
 * instruction its emulator cannot run, and the guest dies with an emulation failure as soon as SLUB
 * frees memory (seen booting Debian's 6.1 kernel: KVM_INTERNAL_ERROR_EMULATION, instruction
 * {@code f0 48 0f c7 4d 20}). Without the CX16 bit, Linux takes its lock-based paths instead.
 */
public final class LinuxCpuid {
    /** CPUID.01H:ECX bit 13, CMPXCHG16B. */
    static final int CX16 = 1 << 13;
    /** CPUID.01H:ECX bit 26, XSAVE (Linux then also leaves AVX and the other XSAVE-managed state alone). */
    static final int XSAVE = 1 << 26;

    private LinuxCpuid() {}

    /** A copy of {@code supported} (a struct kvm_cpuid2) in {@code arena} with CX16 and XSAVE cleared. */
    public static MemorySegment of(MemorySegment supported, Arena arena) {
        MemorySegment copy = arena.allocate(supported.byteSize(), 8);
        copy.copyFrom(supported);
        long entrySize = kvm_cpuid_entry2.layout().byteSize();
        long first = kvm_cpuid2.layout().byteSize();
        for (int i = 0; i < kvm_cpuid2.nent(copy); i++) {
            MemorySegment e = copy.asSlice(first + i * entrySize, entrySize);
            if (kvm_cpuid_entry2.function(e) == 1) kvm_cpuid_entry2.ecx(e, kvm_cpuid_entry2.ecx(e) & ~(CX16 | XSAVE));
        }
        return copy;
    }
}
