package dev.jkvm.guest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The Multiboot v1 loader and information structure on synthetic images built here byte by byte. */
class MultibootTest {
    private static final int MAGIC = 0x1BADB002;

    private static GuestManifest manifest() {
        return new GuestManifest("mb", "", CpuMode.PROTECTED, "mb.elf", GuestManifest.ImageFormat.MULTIBOOT, 0, 0, 8L << 20,
                OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), "halt");
    }

    /** An ELF32 i386 executable: one PT_LOAD of {@code code} at {@code paddr} (memsz = filesz + bss), header at file offset 0x60. */
    static byte[] elf32(long paddr, byte[] code, int bss, int flags, long entry) {
        ByteBuffer b = ByteBuffer.allocate(0x1000 + code.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 1, 1, 1});
        b.putShort(16, (short) 2).putShort(18, (short) 3).putInt(20, 1);
        b.putInt(24, (int) entry).putInt(28, 52).putShort(40, (short) 52).putShort(42, (short) 32).putShort(44, (short) 1);
        b.putInt(52, 1).putInt(56, 0x1000).putInt(60, (int) paddr).putInt(64, (int) paddr)
                .putInt(68, code.length).putInt(72, code.length + bss).putInt(76, 7);
        b.putInt(0x60, MAGIC).putInt(0x64, flags).putInt(0x68, -(MAGIC + flags));
        b.put(0x1000, code);
        return b.array();
    }

    @Test
    void elf32LoadsItsProgramHeadersAtTheirPhysicalAddresses() {
        byte[] code = {(byte) 0xF4, (byte) 0xEB, (byte) 0xFD};
        GuestImage img = GuestImage.load(manifest(), elf32(0x100000, code, 0x2000, 3, 0x100000), "mb.elf");
        assertEquals(0x100000, img.entry());
        assertEquals(1, img.segments().size());
        assertEquals(0x100000, img.segments().get(0).address());
        assertArrayEquals(code, img.segments().get(0).bytes());
        assertEquals(code.length + 0x2000, img.segments().get(0).memSize(), "bss is zero-filled memory beyond the file");
    }

    @Test
    void aoutKludgeLoadsByTheHeadersAddresses() {
        // A flat file: header at offset 8, which the kernel says lies at 0x200008; the file loads at 0x200000.
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        int flags = 1 << 16;
        b.putInt(8, MAGIC).putInt(12, flags).putInt(16, -(MAGIC + flags));
        b.putInt(20, 0x200008).putInt(24, 0x200000).putInt(28, 0x200030).putInt(32, 0x201000).putInt(36, 0x200040 - 0x10);
        GuestImage img = GuestImage.load(manifest(), b.array(), "mb.bin");
        GuestImage.Segment s = img.segments().get(0);
        assertEquals(0x200000, s.address());
        assertEquals(0x30, s.bytes().length, "up to load_end_addr");
        assertEquals(0x1000, s.memSize(), "bss up to bss_end_addr");
        assertEquals(0x200030, img.entry());
    }

    @Test
    void aHeaderWithABadChecksumOrBeyond8KiBIsNotFound() {
        ByteBuffer b = ByteBuffer.allocate(0x3000).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x100, MAGIC).putInt(0x104, 0).putInt(0x108, -MAGIC + 1);
        assertTrue(MultibootImage.findHeader(b.array()).isEmpty(), "checksum off by one");
        b.putInt(0x2000, MAGIC).putInt(0x2004, 0).putInt(0x2008, -MAGIC);
        assertTrue(MultibootImage.findHeader(b.array()).isEmpty(), "the header must be in the first 8 KiB");
        b.putInt(0x1ff0, MAGIC).putInt(0x1ff4, 0).putInt(0x1ff8, -MAGIC);
        assertEquals(0x1ff0, MultibootImage.findHeader(b.array()).getAsInt());
    }

    @Test
    void requirementsJkvmCannotMeetAreRefused() {
        InvalidGuestException e = assertThrows(InvalidGuestException.class,
                () -> GuestImage.load(manifest(), elf32(0x100000, new byte[4], 0, 1 << 5, 0x100000), "mb.elf"));
        assertEquals("mb.elf: the Multiboot header requires features jkvm does not offer (flags 0x20)", e.getMessage());
    }

    @Test
    void a64BitElfIsNotAMultibootKernel() {
        byte[] f = elf32(0x100000, new byte[4], 0, 0, 0x100000);
        f[4] = 2;
        InvalidGuestException e = assertThrows(InvalidGuestException.class, () -> GuestImage.load(manifest(), f, "mb.elf"));
        assertTrue(e.getMessage().contains("must be 32-bit"), e.getMessage());
    }

    @Test
    void theInformationStructureDescribesMemoryCmdlineModulesAndMap() {
        GuestImage kernel = GuestImage.load(manifest(), elf32(0x100000, new byte[0x1800], 0, 3, 0x100000), "mb.elf");
        byte[] module = "module contents".getBytes(StandardCharsets.US_ASCII);
        MultibootInfo info = MultibootInfo.build(kernel, 8L << 20, "mb.elf x=1", List.of(new MultibootInfo.Module("initrd.img", module)), "mb.elf");
        assertEquals(GuestLayout.MULTIBOOT_INFO, info.infoAddress());
        GuestImage.Segment area = info.segments().get(0);
        assertEquals(GuestLayout.MULTIBOOT_INFO, area.address());
        ByteBuffer b = ByteBuffer.wrap(area.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        int base = (int) GuestLayout.MULTIBOOT_INFO;
        assertEquals(1 | 4 | 8 | 64 | 512, b.getInt(0), "flags: memory, cmdline, mods, mmap, loader name");
        assertEquals(639, b.getInt(4), "mem_lower KiB");
        assertEquals(7 * 1024, b.getInt(8), "mem_upper KiB: RAM above 1 MiB");
        assertEquals("mb.elf x=1", cString(b, b.getInt(16) - base));
        assertEquals("jkvm", cString(b, b.getInt(64) - base));
        // The module: page-aligned after the kernel's last byte (0x101800 → 0x102000).
        assertEquals(1, b.getInt(20));
        int mod = b.getInt(24) - base;
        assertEquals(0x102000, b.getInt(mod));
        assertEquals(0x102000 + module.length, b.getInt(mod + 4));
        assertEquals("initrd.img", cString(b, b.getInt(mod + 8) - base));
        assertEquals(0x102000, info.segments().get(1).address());
        assertArrayEquals(module, info.segments().get(1).bytes());
        // The memory map: 4 entries of 24 bytes; available = 639 KiB + 7 MiB.
        int length = b.getInt(44), map = b.getInt(48) - base;
        assertEquals(4 * 24, length);
        long available = 0;
        for (int at = map; at < map + length; at += b.getInt(at) + 4) {
            assertEquals(20, b.getInt(at));
            if (b.getInt(at + 20) == 1) available += b.getLong(at + 12);
        }
        assertEquals(0x9FC00 + (7L << 20), available);
    }

    @Test
    void aKernelOverTheInformationAreaOrAModuleBeyondMemoryIsRefused() {
        GuestImage low = GuestImage.load(manifest(), elf32(0x7000, new byte[16], 0, 3, 0x7000), "mb.elf");
        InvalidGuestException e = assertThrows(InvalidGuestException.class, () -> MultibootInfo.build(low, 8L << 20, "", List.of(), "mb.elf"));
        assertTrue(e.getMessage().contains("overlaps the Multiboot information"), e.getMessage());
        GuestImage kernel = GuestImage.load(manifest(), elf32(0x100000, new byte[16], 0, 3, 0x100000), "mb.elf");
        e = assertThrows(InvalidGuestException.class, () -> MultibootInfo.build(kernel, 2L << 20, "",
                List.of(new MultibootInfo.Module("big", new byte[2 << 20])), "mb.elf"));
        assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
    }

    @Test
    void theBuiltInMultibootKernelLoads() {
        GuestImage img = GuestCatalog.resolve("multiboot-info");
        assertEquals(GuestManifest.ImageFormat.MULTIBOOT, img.manifest().format());
        assertEquals(0x100000, img.segments().get(0).address());
    }

    @Test
    void aMultibootFileWithoutManifestRunsWithTheIrqchipAnd64MiB(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("test.flat");
        java.nio.file.Files.write(file, elf32(0x400000, new byte[16], 0, 3, 0x400000));
        GuestImage img = GuestCatalog.fromPath(file);
        assertEquals(GuestManifest.ImageFormat.MULTIBOOT, img.manifest().format());
        assertEquals(CpuMode.PROTECTED, img.manifest().mode());
        assertEquals(GuestManifest.Irqchip.KERNEL, img.manifest().irqchip(), "test kernels program the LAPIC");
        assertEquals(64L << 20, img.manifest().memory());
        assertEquals(0x400000, img.entry());
    }

    private static String cString(ByteBuffer b, int at) {
        StringBuilder s = new StringBuilder();
        while (b.get(at) != 0) s.append((char) b.get(at++));
        return s.toString();
    }
}
