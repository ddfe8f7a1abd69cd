package dev.jkvm.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The MP table read back the way Linux's arch/x86/kernel/mpparse.c reads it: the floating pointer
 * found on a 16-byte boundary in the last KiB below 640 KiB with a zero checksum, the configuration
 * table it points to with its own zero checksum and entry count, and the entries walked by their
 * sizes. The boot in the sandbox is the end-to-end check that the kernel accepts it.
 */
class MpTableTest {
    record Entry(int type, byte[] bytes) {}

    @Test
    void theFloatingPointerIsFoundWhereLinuxScansAndPointsAtAValidTable() {
        byte[] t = MpTable.build(2);
        ByteBuffer b = ByteBuffer.wrap(t).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x9FC00, MpTable.ADDRESS, "Linux scans 639 KiB .. 640 KiB (smp_scan_config)");
        assertTrue(MpTable.ADDRESS + t.length <= 0xA0000, "inside the E820-reserved EBDA: " + t.length + " bytes");
        assertEquals("_MP_", new String(t, 0, 4, StandardCharsets.US_ASCII));
        assertEquals(1, t[8], "length in paragraphs");
        assertEquals(4, t[9], "spec revision 1.4");
        assertEquals(0, sum(t, 0, 16), "floating pointer checksum");
        assertEquals(0, t[11], "feature byte 1: a configuration table follows, no default configuration");
        long physptr = Integer.toUnsignedLong(b.getInt(4));
        int table = (int) (physptr - MpTable.ADDRESS);
        assertEquals(16, table);

        assertEquals("PCMP", new String(t, table, 4, StandardCharsets.US_ASCII));
        int length = Short.toUnsignedInt(b.getShort(table + 4));
        assertEquals(t.length - table, length);
        assertEquals(0, sum(t, table, length), "configuration table checksum");
        assertEquals(0xFEE00000L, Integer.toUnsignedLong(b.getInt(table + 36)), "local APIC address");
    }

    @Test
    void entriesNameEveryVcpuTheIoApicAndTheIsaInterruptsOnTheirOwnPins() {
        int cpus = 3;
        byte[] t = MpTable.build(cpus);
        List<Entry> entries = entries(t);
        ByteBuffer b = ByteBuffer.wrap(t).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(Short.toUnsignedInt(b.getShort(16 + 34)), entries.size(), "entry count in the header");

        List<Entry> cpuEntries = entries.stream().filter(e -> e.type() == 0).toList();
        assertEquals(cpus, cpuEntries.size());
        for (int i = 0; i < cpus; i++) {
            byte[] e = cpuEntries.get(i).bytes();
            assertEquals(i, e[1], "local APIC id");
            assertEquals(1, e[3] & 1, "enabled");
            assertEquals(i == 0 ? 2 : 0, e[3] & 2, "only vCPU 0 is the bootstrap processor");
        }
        List<Entry> buses = entries.stream().filter(e -> e.type() == 1).toList();
        assertEquals(1, buses.size());
        assertEquals("ISA   ", new String(buses.get(0).bytes(), 2, 6, StandardCharsets.US_ASCII));

        List<Entry> ioapics = entries.stream().filter(e -> e.type() == 2).toList();
        assertEquals(1, ioapics.size());
        byte[] io = ioapics.get(0).bytes();
        int ioapicId = io[1];
        assertTrue(ioapicId >= cpus, "the I/O APIC's id differs from every local APIC id");
        assertEquals(1, io[3] & 1, "enabled");
        assertEquals(0xFEC00000L, Integer.toUnsignedLong(ByteBuffer.wrap(io, 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt()));

        List<Entry> irqs = entries.stream().filter(e -> e.type() == 3).toList();
        assertEquals(16, irqs.size());
        for (int irq = 0; irq < 16; irq++) {
            byte[] e = irqs.get(irq).bytes();
            assertEquals(0, e[1], "vectored interrupt");
            assertEquals(0, e[4], "on the ISA bus");
            assertEquals(irq, e[5], "source IRQ");
            assertEquals(ioapicId, e[6], "to the I/O APIC");
            assertEquals(irq, e[7], "KVM's default routing: GSI i on I/O APIC pin i");
        }
        List<Entry> locals = entries.stream().filter(e -> e.type() == 4).toList();
        assertEquals(2, locals.size());
        assertEquals(3, locals.get(0).bytes()[1], "ExtINT (the PIC) ...");
        assertEquals(0, locals.get(0).bytes()[7], "... on LINT0");
        assertEquals(1, locals.get(1).bytes()[1], "NMI ...");
        assertEquals(1, locals.get(1).bytes()[7], "... on LINT1");
    }

    @Test
    void aVcpuCountOutsideWhatTheTableHoldsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> MpTable.build(0));
        assertThrows(IllegalArgumentException.class, () -> MpTable.build(MpTable.MAX_CPUS + 1));
        byte[] largest = MpTable.build(MpTable.MAX_CPUS);
        assertTrue(largest.length <= 1024, largest.length + " bytes");
        assertEquals(MpTable.MAX_CPUS, entries(largest).stream().filter(e -> e.type() == 0).count());
    }

    /** Walks the entries as mpparse.c does: processor entries are 20 bytes, every other kind 8. */
    private static List<Entry> entries(byte[] t) {
        ByteBuffer b = ByteBuffer.wrap(t).order(ByteOrder.LITTLE_ENDIAN);
        int table = 16;
        int length = Short.toUnsignedInt(b.getShort(table + 4));
        int at = table + 44;
        List<Entry> out = new ArrayList<>();
        while (at < table + length) {
            int type = t[at];
            int size = type == 0 ? 20 : 8;
            byte[] e = new byte[size];
            System.arraycopy(t, at, e, 0, size);
            out.add(new Entry(type, e));
            at += size;
        }
        assertEquals(table + length, at, "entries end exactly at the table's end");
        return out;
    }

    private static int sum(byte[] t, int from, int length) {
        int s = 0;
        for (int i = from; i < from + length; i++) s += t[i];
        return s & 0xFF;
    }
}
