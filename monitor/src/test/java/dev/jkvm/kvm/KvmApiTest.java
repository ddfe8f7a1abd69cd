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

    /**
     * A signal to the thread creating a VM (the JVM's own: JFR's sampler, a stop signal, jkvm's kick)
     * can make KVM_CREATE_VM fail with EINTR (its MMU notifier gives up taking the process's memory
     * locks while a signal is pending). Set-up calls retry then, as QEMU does for KVM_CREATE_VM: under
     * a storm of SIGPIPE (handled by the JVM, so it interrupts) every VM is created. Without the retry
     * KVM_CREATE_VM failed in each of three runs here.
     */
    @Test
    void creatingVmsUnderASignalStormNeverFailsWithEintr() throws Exception {
        java.util.concurrent.atomic.AtomicInteger tid = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        int[] created = {0};
        java.util.concurrent.CountDownLatch signalled = new java.util.concurrent.CountDownLatch(1);
        Thread creator = Thread.ofPlatform().start(() -> {
            tid.set(dev.jkvm.bindings.Syscalls.gettid());
            try (Kvm kvm = Kvm.open()) {
                for (int i = 0; i < 100; i++) {
                    try (Vm vm = kvm.createVm()) {
                        created[0]++;
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                done.set(true);
            }
            try {
                signalled.await(); // alive until the last signal is sent: a signal to an ended thread fails with ESRCH
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long signals = 0;
        while (tid.get() == 0) Thread.onSpinWait();
        while (!done.get()) {
            dev.jkvm.bindings.Syscalls.tgkill(ProcessHandle.current().pid(), tid.get(), LinuxHeaders.SIGPIPE());
            signals++;
            // One signal every 100 µs: enough to catch KVM_CREATE_VM with one pending (without the retry
            // it failed after 0 to 53 VMs), little enough that the creator still gets on.
            for (long until = System.nanoTime() + 100_000; System.nanoTime() < until; ) Thread.onSpinWait();
        }
        signalled.countDown();
        creator.join();
        assertEquals(null, failure.get(), "after " + created[0] + " VMs and " + signals + " signals");
        assertEquals(100, created[0]);
        assertTrue(signals > 100, signals + " signals");
    }
}
