package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.exits.GuestResult;
import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.kvm.Kvm;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * An Error on a vCPU thread (OutOfMemoryError, StackOverflowError) ends that VM as a monitor error
 * with a reason, like any exception — and a VM beside it runs to its end.
 */
@Tag("kvm")
class VcpuThreadFailureKvmTest {
    @Test
    void anErrorOnTheVcpuThreadIsThatVmsMonitorError() throws Exception {
        GuestImage hello = GuestCatalog.resolve("hello");
        try (Kvm kvm = Kvm.open(); Arena arena = Arena.ofConfined()) {
            var cpuid = kvm.supportedCpuid(arena);
            try (VmInstance failing = VmInstance.create(kvm, cpuid, 0, hello, hello.manifest().memory(), 0, null);
                 VmInstance canary = VmInstance.create(kvm, cpuid, 1, hello, hello.manifest().memory(), 0, null)) {
                failing.newThread(tid -> {
                    throw new OutOfMemoryError("Java heap space (thrown by the test)");
                });
                canary.newThread(tid -> { });
                failing.thread().start();
                canary.thread().start();
                failing.thread().stopAndJoin("test over");
                canary.thread().join(10_000);
                GuestResult r = failing.thread().result();
                assertInstanceOf(GuestResult.MonitorError.class, r);
                assertTrue(r.describe().contains("Java heap space (thrown by the test)"), r.describe());
                assertInstanceOf(GuestResult.Halted.class, canary.thread().result());
                canary.serial().finish();
                assertEquals("Hello from jkvm (real mode)\n", canary.serial().text());
            }
        }
    }
}
