package dev.jkvm.exits;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.devices.Com1Serial;
import dev.jkvm.devices.DebugExit;
import dev.jkvm.devices.PingPort;
import dev.jkvm.devices.PortBus;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Decoded synthetic exits through an ExitHandler wired like a VM's (COM1, debug-exit, ping port). */
class ExitHandlerTest {
    private Arena arena;
    private SyntheticRun run;
    private ExitDecoder decoder;
    private final ByteArrayOutputStream serial = new ByteArrayOutputStream();
    private final PingPort ping = new PingPort();
    private PortBus bus;
    private ExitHandler handler;

    @BeforeEach
    void setUp() {
        arena = Arena.ofConfined();
        run = new SyntheticRun(arena);
        decoder = new ExitDecoder(run.seg);
        bus = new PortBus()
                .map(Com1Serial.BASE, Com1Serial.LAST, new Com1Serial(serial::write))
                .map(DebugExit.PORT, DebugExit.PORT, new DebugExit())
                .map(PingPort.PORT, PingPort.PORT, ping);
        handler = new ExitHandler(bus);
    }

    @AfterEach
    void tearDown() {
        arena.close();
    }

    private GuestResult handle() {
        return handler.handle(decoder.decode(0));
    }

    @Test
    void com1OutputReachesTheSinkInOrder() {
        run.out(1, 0x3F8, 1).pioBytes('H');
        assertNull(handle());
        run.out(1, 0x3F8, 5).pioBytes('e', 'l', 'l', 'o', '\n'); // rep outsb
        assertNull(handle());
        run.out(1, 0x3F9, 1).pioBytes('X'); // IER: not the transmit register
        assertNull(handle());
        assertArrayEquals("Hello\n".getBytes(), serial.toByteArray());
        assertEquals(0, bus.unknownWrites());
    }

    @Test
    void lineStatusRegisterSaysTransmitterEmpty() {
        run.in(1, 0x3FD, 1);
        assertNull(handle());
        assertEquals(0x60, run.pioByte(0));
        run.in(1, 0x3FD, 3); // rep insb
        handle();
        assertEquals(0x60, run.pioByte(2));
        run.in(1, 0x3F9, 1).pioBytes(0x77);
        handle();
        assertEquals(0, run.pioByte(0), "other COM1 registers read 0");
    }

    @Test
    void unknownPortReadsAllOnesBySizeAndIsCounted() {
        run.in(1, 0x70, 1).pioBytes(0, 0, 0, 0);
        handle();
        assertEquals(0xFF, run.pioByte(0));
        assertEquals(0, run.pioByte(1));

        run.in(2, 0x70, 1).pioBytes(0, 0, 0, 0);
        handle();
        assertEquals((short) 0xFFFF, run.seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, SyntheticRun.PIO_PAGE));
        assertEquals(0, run.pioByte(2));

        run.in(4, 0xCFC, 2).pioBytes(0, 0, 0, 0, 0, 0, 0, 0);
        handle();
        assertEquals(0xFFFFFFFF, run.seg.get(ValueLayout.JAVA_INT_UNALIGNED, SyntheticRun.PIO_PAGE));
        assertEquals(0xFFFFFFFF, run.seg.get(ValueLayout.JAVA_INT_UNALIGNED, SyntheticRun.PIO_PAGE + 4));

        assertEquals(4, bus.unknownReads(), "each value of a rep insl counts");
        run.out(1, 0x80, 3);
        assertNull(handle());
        assertEquals(3, bus.unknownWrites());
        assertEquals(4, bus.unknownReads());
    }

    @Test
    void debugExitEndsTheGuestWithQemusStatusOfTheUnsignedValueOfEachSize() {
        run.out(1, DebugExit.PORT, 1).pioBytes(0xFE);
        assertEquals(new GuestResult.Exited(0x1FD), handle());
        run.out(2, DebugExit.PORT, 1).pioBytes(0xFE, 0xFF);
        assertEquals(new GuestResult.Exited(0x1FFFD), handle());
        run.out(4, DebugExit.PORT, 1).pioBytes(0xFE, 0xFF, 0xFF, 0xFF);
        assertEquals(new GuestResult.Exited(0x1_FFFF_FFFDL), handle());
        run.out(4, DebugExit.PORT, 1).pioBytes(0xFF, 0xFF, 0xFF, 0xFF);
        assertEquals(new GuestResult.Exited(0x1_FFFF_FFFFL), handle(), "all ones is a status, not CONTINUE");
        run.out(1, DebugExit.PORT, 1).pioBytes(0);
        GuestResult zero = handle();
        assertEquals(new GuestResult.Exited(1), zero, "a write of 0 (kvm-unit-tests' pass) is status 1, as under QEMU");
        assertFalse(zero.clean(), "only a halt or status 0 is clean, and port 0xf4 cannot give 0");
    }

    @Test
    void repOutToDebugExitStopsAtTheFirstValue() {
        run.out(1, DebugExit.PORT, 3).pioBytes(7, 8, 9);
        assertEquals(new GuestResult.Exited(15), handle());
    }

    @Test
    void pingPortCountsEveryValue() {
        for (int i = 0; i < 3; i++) {
            run.out(4, PingPort.PORT, 1);
            assertNull(handle());
        }
        run.out(4, PingPort.PORT, 4); // rep outsl
        handle();
        assertEquals(7, ping.pings());
        assertEquals(0, bus.unknownWrites());
    }

    @Test
    void mmioReadReturnsAllOnesInItsBytesAndIsCounted() {
        run.mmio(0xFEC0_0000L, 4, false, 0, 0, 0, 0, 0x5A, 0x5A, 0x5A, 0x5A);
        assertNull(handle());
        for (int i = 0; i < 4; i++) assertEquals(0xFF, run.mmioByte(i));
        assertEquals(0x5A, run.mmioByte(4), "bytes beyond len are untouched");
        assertEquals(1, handler.mmioReads());
        assertEquals(0, handler.mmioWrites());

        run.mmio(0xFEC0_0000L, 4, true, 1, 2, 3, 4);
        assertNull(handle());
        assertEquals(1, handler.mmioWrites());
        assertEquals(1, run.mmioByte(0), "a write's data is left alone");
    }

    @Test
    void hltEndsTheGuestCleanly() {
        run.reason(LinuxHeaders.KVM_EXIT_HLT());
        GuestResult r = handle();
        assertInstanceOf(GuestResult.Halted.class, r);
        assertTrue(r.clean());
    }

    @Test
    void interruptionGoesOn() {
        assertNull(handler.handle(decoder.decode(-dev.jkvm.bindings.Errno.EINTR.value())));
    }

    private GuestResult.Faulted faulted() {
        GuestResult r = handle();
        GuestResult.Faulted f = assertInstanceOf(GuestResult.Faulted.class, r);
        assertFalse(f.clean());
        return f;
    }

    @Test
    void shutdownFaults() {
        run.reason(LinuxHeaders.KVM_EXIT_SHUTDOWN());
        assertEquals("SHUTDOWN", faulted().exitReason());
    }

    @Test
    void failEntryFaultsWithTheHardwareReasonAndCpu() {
        run.failEntry(0x21, 1);
        GuestResult.Faulted f = faulted();
        assertEquals("FAIL_ENTRY", f.exitReason());
        assertEquals("hardware entry failure reason 0x21 on CPU 1", f.detail());
    }

    @Test
    void internalErrorFaultsWithTheSuberrorName() {
        run.internalError(2, 0);
        GuestResult.Faulted f = faulted();
        assertEquals("INTERNAL_ERROR", f.exitReason());
        assertEquals("exception while delivering an exception", f.detail());
    }

    /** KVM's data words are said with the suberror: "emulation failure" alone told one failure from no other. */
    @Test
    void internalErrorSaysKvmsDataWords() {
        run.internalError(1, 3, 0x1, 0x2a, 0xfeedL);
        assertEquals("emulation failure; KVM's data: 0x1 0x2a 0xfeed", faulted().detail());
    }

    @Test
    void systemEventFaults() {
        run.systemEvent(1);
        assertEquals("SYSTEM_EVENT", faulted().exitReason());
    }

    @Test
    void malformedExitFaultsNamingItsReason() {
        run.out(3, 0x3F8, 1);
        GuestResult.Faulted f = faulted();
        assertEquals("IO", f.exitReason());
        assertEquals("malformed exit: I/O size 3", f.detail());
        assertEquals(0, serial.size(), "nothing reached the device");
    }

    @Test
    void unhandledExitFaultsNamingItsReason() {
        run.reason(LinuxHeaders.KVM_EXIT_DEBUG());
        assertEquals("DEBUG", faulted().exitReason());
        run.reason(99);
        GuestResult.Faulted f = faulted();
        assertEquals("reason 99", f.exitReason());
        assertTrue(f.describe().startsWith("faulted: reason 99"), f.describe());
    }
}
