package dev.jkvm.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The manifest keys of guests that take interrupts: {@code irqchip} and {@code tick-ring}. */
class IrqchipManifestTest {
    private static final String BASE = "name = t\nmode = long\nimage = t.bin\n";

    @Test
    void bareGuestsAreTheDefault() {
        GuestManifest m = GuestManifest.parse(BASE, "t.manifest");
        assertEquals(GuestManifest.Irqchip.NONE, m.irqchip());
        assertTrue(m.tickRing().isEmpty());
    }

    @Test
    void kernelIrqchipAndTickRingAreRead() {
        GuestManifest m = GuestManifest.parse(BASE + "irqchip = kernel\ntick-ring = 0x200000\nexpect-exit = never\n", "t.manifest");
        assertEquals(GuestManifest.Irqchip.KERNEL, m.irqchip());
        assertEquals(OptionalLong.of(0x200000), m.tickRing());
    }

    @Test
    void anUnknownIrqchipIsRefusedByName() {
        InvalidGuestException e = assertThrows(InvalidGuestException.class,
                () -> GuestManifest.parse(BASE + "irqchip = userspace\n", "t.manifest"));
        assertEquals("t.manifest: 'irqchip' must be none or kernel, not 'userspace'", e.getMessage());
    }

    @Test
    void anIrqchipGuestCannotExpectToEndByHalting() {
        // With KVM's LAPIC, HLT sleeps in the kernel and never reaches jkvm: such a guest would hang.
        InvalidGuestException e = assertThrows(InvalidGuestException.class,
                () -> GuestManifest.parse(BASE + "irqchip = kernel\n", "t.manifest"));
        assertTrue(e.getMessage().contains("cannot end with halt"), e.getMessage());
        assertTrue(e.getMessage().contains("which 'expect-exit' means when left out"), "the user wrote no halt: " + e.getMessage());
        InvalidGuestException written = assertThrows(InvalidGuestException.class,
                () -> GuestManifest.parse(BASE + "irqchip = kernel\nexpect-exit = halt\n", "t.manifest"));
        assertFalse(written.getMessage().contains("left out"), written.getMessage());
    }

    @Test
    void expectExitIsOneOfItsForms() {
        for (String good : new String[] {"halt", "shutdown", "never", "status:0", "status:15"}) {
            assertEquals(good, GuestManifest.parse(BASE + "expect-exit = " + good + "\n", "t.manifest").expectExit());
        }
        for (String bad : new String[] {"garbage", "status:", "status:x", "Halt"}) {
            InvalidGuestException e = assertThrows(InvalidGuestException.class,
                    () -> GuestManifest.parse(BASE + "expect-exit = " + bad + "\n", "t.manifest"));
            assertEquals("t.manifest: 'expect-exit' must be halt, shutdown, status:N or never, not '" + bad + "'", e.getMessage());
        }
    }

    @Test
    void theBuiltInTimerGuestsUseTheKernelIrqchip() {
        for (String g : new String[] {"tick", "duty"}) {
            GuestManifest m = GuestCatalog.resolve(g).manifest();
            assertEquals(GuestManifest.Irqchip.KERNEL, m.irqchip(), g);
            assertEquals(OptionalLong.of(0x200000), m.tickRing(), g);
        }
        assertEquals(GuestManifest.Irqchip.NONE, GuestCatalog.resolve("spin").manifest().irqchip());
    }
}
