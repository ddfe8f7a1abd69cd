package dev.jkvm.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The manifest keys of SMP guests: {@code vcpus}, {@code ap-start}, {@code lock-stats}. */
class SmpManifestTest {
    private static final String BASE = "name = t\nmode = long\nimage = t.bin\n";

    @Test
    void oneVcpuStartedDirectlyIsTheDefault() {
        GuestManifest m = GuestManifest.parse(BASE, "t.manifest");
        assertEquals(1, m.vcpus());
        assertEquals(GuestManifest.ApStart.DIRECT, m.apStart());
        assertEquals(OptionalLong.empty(), m.lockStats());
    }

    @Test
    void vcpusApStartAndLockStatsAreRead() {
        GuestManifest m = GuestManifest.parse(BASE + "vcpus = 4\nap-start = sipi\nirqchip = kernel\nexpect-exit = never\n"
                + "lock-stats = 0x200000\n", "t.manifest");
        assertEquals(4, m.vcpus());
        assertEquals(GuestManifest.ApStart.SIPI, m.apStart());
        assertEquals(OptionalLong.of(0x200000), m.lockStats());
    }

    @Test
    void vcpusOutsideOneTo64AreRefusedByName() {
        assertEquals("t.manifest: 'vcpus' must be 1 to 64, got 0",
                assertThrows(InvalidGuestException.class, () -> GuestManifest.parse(BASE + "vcpus = 0\n", "t.manifest")).getMessage());
        assertEquals("t.manifest: 'vcpus' must be 1 to 64, got 65",
                assertThrows(InvalidGuestException.class, () -> GuestManifest.parse(BASE + "vcpus = 65\n", "t.manifest")).getMessage());
    }

    @Test
    void sipiNeedsTheInKernelLapic() {
        InvalidGuestException e = assertThrows(InvalidGuestException.class,
                () -> GuestManifest.parse(BASE + "ap-start = sipi\n", "t.manifest"));
        assertEquals("t.manifest: 'ap-start = sipi' needs the in-kernel local APIC ('irqchip = kernel')", e.getMessage());
        assertEquals("t.manifest: 'ap-start' must be direct, sipi or none, not 'acpi'",
                assertThrows(InvalidGuestException.class, () -> GuestManifest.parse(BASE + "ap-start = acpi\n", "t.manifest")).getMessage());
    }

    /** A guest not written for SMP says so: ap-start = none, one vCPU (serial-irq with two never ended). */
    @Test
    void apStartNoneIsOneVcpu() {
        assertEquals(GuestManifest.ApStart.NONE, GuestManifest.parse(BASE + "ap-start = none\n", "t.manifest").apStart());
        assertEquals("t.manifest: 'ap-start = none' runs on one vCPU, but 'vcpus' is 2",
                assertThrows(InvalidGuestException.class, () -> GuestManifest.parse(BASE + "ap-start = none\nvcpus = 2\n", "t.manifest")).getMessage());
        assertEquals(GuestManifest.ApStart.NONE, dev.jkvm.guest.GuestCatalog.builtInManifest("serial-irq").apStart());
        var vm = new dev.jkvm.experiment.ExperimentSpec.VmSpec(GuestCatalog.resolve("serial-irq"), 4L << 20, 0, null, 2);
        var spec = new dev.jkvm.experiment.ExperimentSpec(java.util.List.of(vm), null, java.util.OptionalInt.empty(), null, "jkvm-sched", false);
        assertEquals("guest serial-irq runs on one vCPU (its manifest: ap-start = none), not 2 (more VMs: --vms)",
                assertThrows(dev.jkvm.util.UsageException.class, () -> dev.jkvm.experiment.Experiment.validate(spec)).getMessage());
    }
}
