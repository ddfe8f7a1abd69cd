package dev.jkvm.guest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * An Intel MultiProcessor Specification 1.4 table for a Linux guest without ACPI: the floating
 * pointer and the configuration table that tell the kernel its processors (local APIC ids 0..n-1),
 * the I/O APIC KVM's in-kernel irqchip emulates (at 0xfec00000) and how the 16 ISA interrupts reach
 * it (ISA IRQ i on I/O APIC pin i, as KVM's default GSI routing wires them, the PIT included), with
 * the 8259 PIC behind LINT0 and NMI on LINT1.
 *
 * <p>Why a table at all: without one Linux runs in "virtual wire" mode and takes every device
 * interrupt from the 8259 PIC as ExtINT, through handle_level_irq, which holds the interrupt's
 * descriptor lock while it talks to the PIC. With the table it uses the I/O APIC and the local
 * APIC timer, as under QEMU or Firecracker. Pure: builds the bytes, the caller writes them.
 *
 * <pre>
 *   0x9_FC00  floating pointer "_MP_", 16 bytes (Linux scans the last KiB below 640 KiB, which the
 *             E820 map reserves)
 *   0x9_FC10  configuration table "PCMP": header, one processor entry per vCPU, the ISA bus, the
 *             I/O APIC, 16 I/O interrupt entries, 2 local interrupt entries
 * </pre>
 */
public final class MpTable {
    /** Where the floating pointer goes: the start of the last KiB of conventional memory. */
    public static final long ADDRESS = LinuxBoot.LOW_MEMORY_END;
    /** Where KVM's in-kernel I/O APIC and every local APIC sit (their architectural defaults). */
    static final int IOAPIC_ADDRESS = 0xFEC0_0000, LAPIC_ADDRESS = 0xFEE0_0000;
    static final int FLOATING_SIZE = 16, HEADER_SIZE = 44;
    static final int PROCESSOR = 0, BUS = 1, IOAPIC = 2, IO_INTERRUPT = 3, LOCAL_INTERRUPT = 4;
    static final int PROCESSOR_SIZE = 20, OTHER_ENTRY_SIZE = 8;
    static final int INT = 0, NMI = 1, EXTINT = 3;
    static final int ISA_IRQS = 16;
    /** Version numbers Linux reads: an integrated local APIC (0x14), an 82093AA-style I/O APIC (0x11). */
    static final int LAPIC_VERSION = 0x14, IOAPIC_VERSION = 0x11;
    /** The most vCPUs the 1 KiB of reserved EBDA holds entries for (and more than any experiment uses). */
    public static final int MAX_CPUS = (1024 - FLOATING_SIZE - HEADER_SIZE - 3 * OTHER_ENTRY_SIZE
            - (ISA_IRQS + 2) * OTHER_ENTRY_SIZE) / PROCESSOR_SIZE;

    private MpTable() {}

    /** The floating pointer followed by the configuration table, to be written at {@link #ADDRESS}. */
    public static byte[] build(int cpus) {
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new IllegalArgumentException("an MP table describes 1 to " + MAX_CPUS + " vCPUs, not " + cpus);
        }
        int entries = cpus + 1 + 1 + ISA_IRQS + 2;
        int tableLength = HEADER_SIZE + cpus * PROCESSOR_SIZE + (entries - cpus) * OTHER_ENTRY_SIZE;
        ByteBuffer b = ByteBuffer.allocate(FLOATING_SIZE + tableLength).order(ByteOrder.LITTLE_ENDIAN);

        b.put("_MP_".getBytes(StandardCharsets.US_ASCII));
        b.putInt((int) ADDRESS + FLOATING_SIZE); // physical address of the configuration table
        b.put((byte) 1);                         // length in 16-byte paragraphs
        b.put((byte) 4);                         // specification revision 1.4
        b.put((byte) 0);                         // checksum, below
        b.put((byte) 0);                         // feature byte 1: 0 = a configuration table is present
        b.putInt(0);                             // feature bytes 2-5: no IMCR, virtual wire
        b.put(10, checksum(b.array(), 0, FLOATING_SIZE));

        int table = b.position();
        b.put("PCMP".getBytes(StandardCharsets.US_ASCII));
        b.putShort((short) tableLength);
        b.put((byte) 4);
        b.put((byte) 0);                                        // checksum, below
        b.put("JKVM    ".getBytes(StandardCharsets.US_ASCII));  // OEM id, 8 bytes
        b.put("VM          ".getBytes(StandardCharsets.US_ASCII)); // product id, 12 bytes
        b.putInt(0);                                            // no OEM table
        b.putShort((short) 0);
        b.putShort((short) entries);
        b.putInt(LAPIC_ADDRESS);
        b.putShort((short) 0);                                  // no extended entries
        b.put((byte) 0);
        b.put((byte) 0);

        for (int cpu = 0; cpu < cpus; cpu++) {
            b.put((byte) PROCESSOR);
            b.put((byte) cpu);                           // local APIC id = vCPU id, as KVM assigns it
            b.put((byte) LAPIC_VERSION);
            b.put((byte) (cpu == 0 ? 0b11 : 0b01));      // enabled; the bootstrap processor is vCPU 0
            b.putInt(0);                                 // CPU signature: Linux reads CPUID instead
            b.putInt(0);                                 // feature flags: likewise
            b.putLong(0);
        }
        b.put((byte) BUS).put((byte) 0).put("ISA   ".getBytes(StandardCharsets.US_ASCII));
        int ioapicId = cpus;
        b.put((byte) IOAPIC).put((byte) ioapicId).put((byte) IOAPIC_VERSION).put((byte) 1).putInt(IOAPIC_ADDRESS);
        for (int irq = 0; irq < ISA_IRQS; irq++) {
            // Flags 0: polarity and trigger as the ISA bus defines them (active high, edge).
            b.put((byte) IO_INTERRUPT).put((byte) INT).putShort((short) 0)
                    .put((byte) 0).put((byte) irq).put((byte) ioapicId).put((byte) irq);
        }
        b.put((byte) LOCAL_INTERRUPT).put((byte) EXTINT).putShort((short) 0).put((byte) 0).put((byte) 0).put((byte) 0xFF).put((byte) 0);
        b.put((byte) LOCAL_INTERRUPT).put((byte) NMI).putShort((short) 0).put((byte) 0).put((byte) 0).put((byte) 0xFF).put((byte) 1);
        if (b.position() != b.capacity()) throw new IllegalStateException("MP table length " + b.position() + " != " + b.capacity());
        b.put(table + 7, checksum(b.array(), table, tableLength));
        return b.array();
    }

    /** The byte that makes {@code length} bytes from {@code from} sum to 0 mod 256 (with it in place of a 0). */
    static byte checksum(byte[] bytes, int from, int length) {
        int sum = 0;
        for (int i = from; i < from + length; i++) sum += bytes[i];
        return (byte) -sum;
    }
}
