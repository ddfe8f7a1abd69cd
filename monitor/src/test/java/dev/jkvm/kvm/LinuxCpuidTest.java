package dev.jkvm.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jkvm.bindings.generated.kvm_cpuid2;
import dev.jkvm.bindings.generated.kvm_cpuid_entry2;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The Linux guest's CPUID on a synthetic struct kvm_cpuid2: only leaf 1's hypervisor bit changes. */
class LinuxCpuidTest {
    @Test
    void setsTheHypervisorBitInLeafOneAndNothingElse() {
        try (Arena arena = Arena.ofConfined()) {
            long entry = kvm_cpuid_entry2.layout().byteSize(), head = kvm_cpuid2.layout().byteSize();
            MemorySegment c = arena.allocate(head + 3 * entry, 8);
            kvm_cpuid2.nent(c, 3);
            int[] functions = {0, 1, 0x4000_0001};
            for (int i = 0; i < 3; i++) {
                MemorySegment e = c.asSlice(head + i * entry, entry);
                kvm_cpuid_entry2.function(e, functions[i]);
                kvm_cpuid_entry2.ecx(e, 0x1234);
            }
            MemorySegment out = LinuxCpuid.of(c, arena);
            assertEquals(0x1234, kvm_cpuid_entry2.ecx(out.asSlice(head, entry)));
            assertEquals(0x1234 | 1 << 31, kvm_cpuid_entry2.ecx(out.asSlice(head + entry, entry)));
            assertEquals(0x1234, kvm_cpuid_entry2.ecx(out.asSlice(head + 2 * entry, entry)));
            assertEquals(0x1234, kvm_cpuid_entry2.ecx(c.asSlice(head + entry, entry)), "the shared copy is not changed");
        }
    }
}
