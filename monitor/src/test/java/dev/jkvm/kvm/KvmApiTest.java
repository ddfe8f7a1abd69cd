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

    /**
     * After {@link Kvm#compileRunPath}, a vCPU's own KVM_RUN call (immediate_exit set, so no guest
     * instruction runs and each call returns EINTR) allocates nothing, measured here by the JVM's count
     * of this thread's allocated bytes over 1,000 calls.
     */
    @Test
    void afterTheWarmUpKvmRunAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (Kvm kvm = Kvm.open(); Vm vm = kvm.createVm(); java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            assertTrue(kvm.compileRunPath(30_000_000_000L, () -> false), "the run path was not compiled within 30 s");
            vm.mapMemory(1 << 20);
            Vcpu vcpu = vm.createVcpu(0);
            vcpu.requestImmediateExit();
            dev.jkvm.bindings.ErrnoCapture capture = new dev.jkvm.bindings.ErrnoCapture(arena);
            assertEquals(-Errno.EINTR.value(), vcpu.run(capture), "KVM_RUN with immediate_exit");
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 1_000; i++) vcpu.run(capture);
            assertEquals(0, threads.getCurrentThreadAllocatedBytes() - before, "bytes allocated by 1,000 KVM_RUN calls");
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
