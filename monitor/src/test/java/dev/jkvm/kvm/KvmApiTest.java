package dev.jkvm.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.bindings.Errno;
import dev.jkvm.bindings.NativeException;
import dev.jkvm.bindings.generated.LinuxHeaders;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The KVM owners against the real API, including the ways it says no. */
@Tag("kvm")
class KvmApiTest {

    @Test
    void availabilityIsUsableAndApiVersionIs12() {
        KvmAvailability.Verdict v = KvmAvailability.probe();
        assertTrue(v.usable(), v.reason());
        assertEquals(12, v.apiVersion());
    }

    @Test
    void creatingTheSameVcpuTwiceFailsWithEexistNamingTheCall() {
        try (Kvm kvm = Kvm.open(); Vm vm = kvm.createVm()) {
            vm.mapMemory(1 << 20);
            vm.createVcpu(0);
            NativeException e = assertThrows(NativeException.class, () -> vm.createVcpu(0));
            assertTrue(e.is(Errno.EEXIST));
            assertEquals("KVM_CREATE_VCPU failed: EEXIST (File exists)", e.getMessage());
        }
    }

    @Test
    void guestMemoryMustBeWholePages() {
        try (Kvm kvm = Kvm.open(); Vm vm = kvm.createVm()) {
            assertThrows(IllegalArgumentException.class, () -> vm.mapMemory(4097));
        }
    }

    @Test
    void vcpuMmapSizeCoversKvmRun() {
        try (Kvm kvm = Kvm.open()) {
            assertTrue(kvm.vcpuMmapSize() >= dev.jkvm.bindings.generated.kvm_run.layout().byteSize());
            assertTrue(kvm.checkExtension(LinuxHeaders.KVM_CAP_USER_MEMORY()) > 0);
        }
    }

    @Test
    void closingTwiceReleasesOnce() {
        Kvm kvm = Kvm.open();
        Vm vm = kvm.createVm();
        vm.mapMemory(1 << 20);
        vm.createVcpu(0);
        vm.close();
        vm.close();
        kvm.close();
        kvm.close();
    }
}
