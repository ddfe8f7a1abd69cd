package dev.jkvm.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PortBusTest {
    /** Records what reaches it; reads return the port number. */
    static final class Recorder implements PortDevice {
        final List<String> calls = new ArrayList<>();

        @Override
        public int read(int port, int size) {
            calls.add("in " + Integer.toHexString(port) + "/" + size);
            return port;
        }

        @Override
        public long write(int port, int size, int value) {
            calls.add("out " + Integer.toHexString(port) + "/" + size + "=" + Integer.toHexString(value));
            return CONTINUE;
        }
    }

    @Test
    void mappedPortsReachTheirDevice() {
        Recorder r = new Recorder();
        PortBus bus = new PortBus().map(0x60, 0x64, r);
        assertEquals(0x64, bus.read(0x64, 1));
        assertEquals(PortDevice.CONTINUE, bus.write(0x60, 2, 0xABCD));
        assertEquals(List.of("in 64/1", "out 60/2=abcd"), r.calls);
        assertEquals(0, bus.unknownReads());
        assertEquals(0, bus.unknownWrites());
    }

    @Test
    void doubleMappingIsRejected() {
        PortBus bus = new PortBus().map(0x3F8, 0x3FF, new Recorder());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> bus.map(0x3FF, 0x400, new Recorder()));
        assertEquals("port 0x3ff is already mapped", e.getMessage());
        assertThrows(IllegalStateException.class, () -> bus.map(0x3F8, 0x3F8, new Recorder()));
    }

    @Test
    void aRejectedMappingMapsNothing() {
        PortBus bus = new PortBus().map(0x3F8, 0x3FF, new Recorder());
        Recorder late = new Recorder();
        assertThrows(IllegalStateException.class, () -> bus.map(0x3F0, 0x3F8, late));
        assertEquals(0xFF, bus.read(0x3F0, 1), "0x3F0 is still unmapped");
        assertEquals(List.of(), late.calls);
    }

    @Test
    void unknownPortsReadAllOnesAndDropWritesCounted() {
        PortBus bus = new PortBus();
        assertEquals(0xFF, bus.read(0x80, 1));
        assertEquals(0xFFFF, bus.read(0x80, 2));
        assertEquals(0xFFFFFFFF, bus.read(0x80, 4));
        assertEquals(PortDevice.CONTINUE, bus.write(0x80, 1, 0));
        assertEquals(3, bus.unknownReads());
        assertEquals(1, bus.unknownWrites());
    }

    @Test
    void rangesAcrossPagesReachTheirDeviceAndTheirNeighboursStayUnmapped() {
        Recorder r = new Recorder();
        PortBus bus = new PortBus().map(0x2FE, 0x301, r); // crosses from one 256-port page into the next
        for (int p = 0x2FE; p <= 0x301; p++) assertEquals(p, bus.read(p, 1));
        assertEquals(0xFF, bus.read(0x2FD, 1));
        assertEquals(0xFF, bus.read(0x302, 1));
        assertEquals(0xFF, bus.read(0x1FE, 1)); // the same offset in another page
        assertEquals(4, r.calls.size());
        assertEquals(3, bus.unknownReads());
    }

    @Test
    void rangesOutsideThe64KiPortsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new PortBus().map(0xFFFF, 0x10000, new Recorder()));
        assertThrows(IllegalArgumentException.class, () -> new PortBus().map(-1, 2, new Recorder()));
        assertThrows(IllegalArgumentException.class, () -> new PortBus().map(5, 4, new Recorder()));
    }

    @Test
    void lastPortIsMappable() {
        Recorder r = new Recorder();
        PortBus bus = new PortBus().map(0xFFFF, 0xFFFF, r);
        assertEquals(0xFFFF, bus.read(0xFFFF, 1));
    }

    @Test
    void debugExitStatusIsQemuIsaDebugExitOfTheUnsignedValue() {
        DebugExit d = new DebugExit();
        assertEquals(0x1FF, d.write(DebugExit.PORT, 1, 0x1FF), "0xFF << 1 | 1");
        assertEquals(0x1FFFF, d.write(DebugExit.PORT, 2, -1));
        assertEquals(0x1_FFFF_FFFFL, d.write(DebugExit.PORT, 4, -1));
        assertEquals(7, d.write(DebugExit.PORT, 4, 3));
        assertEquals(1, d.write(DebugExit.PORT, 1, 0), "kvm-unit-tests' pass (0) is status 1, as under QEMU");
    }

    @Test
    void com1CountsTransmittedBytes() {
        StringBuilder sb = new StringBuilder();
        Com1Serial com1 = new Com1Serial(b -> sb.append((char) b));
        com1.write(Com1Serial.BASE, 1, 'o');
        com1.write(Com1Serial.BASE, 1, 'k');
        com1.write(Com1Serial.BASE + 1, 1, '!');
        assertEquals("ok", sb.toString());
        assertEquals(2, com1.bytesWritten());
        assertEquals(Com1Serial.LSR_READY, com1.read(Com1Serial.BASE + 5, 1));
        assertEquals(0, com1.read(Com1Serial.BASE, 1));
    }
}
