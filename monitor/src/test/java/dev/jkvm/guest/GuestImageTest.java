package dev.jkvm.guest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** GuestImage.load and check, and ElfImage, on the real hello64.elf and on hand-made ELF files. */
class GuestImageTest {
    private static final String SOURCE = "test.elf";
    private static final GuestManifest ELF_MANIFEST = manifest(CpuMode.LONG, GuestManifest.ImageFormat.ELF, 0, 0, 4L << 20);

    static GuestManifest manifest(CpuMode mode, GuestManifest.ImageFormat format, long load, long entry, long memory) {
        return new GuestManifest("t", "", mode, "t.img", format, load, entry, memory,
                OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), "halt");
    }

    static byte[] builtIn(String file) throws IOException {
        try (InputStream in = GuestImageTest.class.getClassLoader().getResourceAsStream("dev/jkvm/guests/" + file)) {
            if (in == null) throw new IOException("missing test resource dev/jkvm/guests/" + file);
            return in.readAllBytes();
        }
    }

    /** A minimal valid ELF64 x86-64 executable: one PT_LOAD of 16 bytes (memsz 32) at 0x100000, entry 0x100004. */
    static final class Elf {
        static final int PHOFF = 64, DATA = 128;
        final ByteBuffer b = ByteBuffer.allocate(DATA + 16).order(ByteOrder.LITTLE_ENDIAN);

        Elf() {
            b.put(0, new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
            b.putShort(16, (short) 2);      // ET_EXEC
            b.putShort(18, (short) 62);     // EM_X86_64
            b.putInt(20, 1);
            b.putLong(24, 0x100004);        // e_entry
            b.putLong(32, PHOFF);           // e_phoff
            b.putShort(52, (short) 64);     // e_ehsize
            b.putShort(54, (short) 56);     // e_phentsize
            b.putShort(56, (short) 1);      // e_phnum
            b.putInt(PHOFF, 1);             // PT_LOAD
            b.putLong(PHOFF + 8, DATA);     // p_offset
            b.putLong(PHOFF + 16, 0x100000);// p_vaddr
            b.putLong(PHOFF + 24, 0x100000);// p_paddr
            b.putLong(PHOFF + 32, 16);      // p_filesz
            b.putLong(PHOFF + 40, 32);      // p_memsz
            for (int i = 0; i < 16; i++) b.put(DATA + i, (byte) (0xA0 + i));
        }

        Elf set(int offset, byte value) { b.put(offset, value); return this; }
        Elf setShort(int offset, int value) { b.putShort(offset, (short) value); return this; }
        Elf setLong(int offset, long value) { b.putLong(offset, value); return this; }
        byte[] bytes() { return b.array().clone(); }
    }

    private static InvalidGuestException invalidElf(byte[] file) {
        return assertThrows(InvalidGuestException.class, () -> GuestImage.load(ELF_MANIFEST, file, SOURCE));
    }

    @Test
    void builtInHello64HasTwoLoadSegmentsAndAnEntryInsideTheFirst() throws IOException {
        byte[] file = builtIn("hello64.elf");
        GuestManifest m = GuestManifest.parse(new String(builtIn("hello64.manifest")), "hello64.manifest");
        GuestImage image = GuestImage.load(m, file, "hello64.elf");
        assertEquals(2, image.segments().size());
        assertEquals(0x10001b, image.entry());
        GuestImage.Segment first = image.segments().get(0);
        assertNotEquals(first.address(), image.entry(), "hello64's entry is not its first byte");
        assertEquals(0x100000, first.address());
        assertTrue(image.entry() > first.address() && image.entry() < first.address() + first.memSize());
        assertTrue(image.segments().get(1).address() > first.address());
        for (GuestImage.Segment s : image.segments()) assertTrue(s.memSize() >= s.bytes().length);
    }

    @Test
    void syntheticElfLoadsItsSegmentBytesAndMemSize() {
        GuestImage image = GuestImage.load(ELF_MANIFEST, new Elf().bytes(), SOURCE);
        assertEquals(1, image.segments().size());
        GuestImage.Segment s = image.segments().get(0);
        assertEquals(0x100000, s.address());
        assertEquals(32, s.memSize());
        byte[] expected = new byte[16];
        for (int i = 0; i < 16; i++) expected[i] = (byte) (0xA0 + i);
        assertArrayEquals(expected, s.bytes());
        assertEquals(0x100004, image.entry());
    }

    @Test
    void nonLoadProgramHeadersAreSkipped() {
        byte[] file = new Elf().setShort(Elf.PHOFF, 4 /* PT_NOTE */).bytes();
        assertEquals(SOURCE + ": image has nothing to load", invalidElf(file).getMessage());
    }

    @Test
    void badMagicIsRejected() {
        InvalidGuestException e = invalidElf(new Elf().set(1, (byte) 'X').bytes());
        assertEquals(SOURCE + ": not an ELF file (no \\x7fELF magic)", e.getMessage());
    }

    @Test
    void thirtyTwoBitElfIsRejected() {
        InvalidGuestException e = invalidElf(new Elf().set(4, (byte) 1).bytes());
        assertEquals(SOURCE + ": not a 64-bit ELF (EI_CLASS=1)", e.getMessage());
    }

    @Test
    void bigEndianWrongMachineAndWrongTypeAreRejected() {
        assertEquals(SOURCE + ": not a little-endian ELF", invalidElf(new Elf().set(5, (byte) 2).bytes()).getMessage());
        assertEquals(SOURCE + ": ELF machine 3 is not x86-64", invalidElf(new Elf().setShort(18, 3).bytes()).getMessage());
        assertEquals(SOURCE + ": ELF type 3 is not an executable (ET_EXEC)", invalidElf(new Elf().setShort(16, 3).bytes()).getMessage());
    }

    @Test
    void truncatedHeaderIsRejected() {
        InvalidGuestException e = invalidElf(Arrays.copyOf(new Elf().bytes(), 40));
        assertEquals(SOURCE + ": ELF header truncated (40 bytes)", e.getMessage());
    }

    @Test
    void truncatedProgramHeadersAreRejected() {
        // Two program headers announced, but the file ends inside the second one.
        byte[] file = Arrays.copyOf(new Elf().setShort(56, 2).bytes(), Elf.PHOFF + 56 + 20);
        assertEquals(SOURCE + ": ELF program headers reach past the end of the file", invalidElf(file).getMessage());
        // One header, file cut inside it.
        byte[] cut = Arrays.copyOf(new Elf().bytes(), Elf.PHOFF + 30);
        assertEquals(SOURCE + ": ELF program headers reach past the end of the file", invalidElf(cut).getMessage());
    }

    @Test
    void tooSmallProgramHeaderEntrySizeIsRejected() {
        InvalidGuestException e = invalidElf(new Elf().setShort(54, 32).bytes());
        assertEquals(SOURCE + ": ELF program header size 32 is too small", e.getMessage());
    }

    @Test
    void segmentDataPastTheEndOfTheFileIsRejected() {
        InvalidGuestException e = invalidElf(new Elf().setLong(Elf.PHOFF + 32, 17).setLong(Elf.PHOFF + 40, 17).bytes());
        assertEquals(SOURCE + ": program header 0 reaches past the end of the file", e.getMessage());
    }

    @Test
    void memSizeSmallerThanFileSizeIsRejected() {
        InvalidGuestException e = invalidElf(new Elf().setLong(Elf.PHOFF + 40, 15).bytes());
        assertEquals(SOURCE + ": program header 0 has p_memsz < p_filesz", e.getMessage());
    }

    @Test
    void entryOutsideEverySegmentIsRejected() {
        InvalidGuestException e = invalidElf(new Elf().setLong(24, 0x100000 + 32).bytes());
        assertEquals(SOURCE + ": entry point 0x100020 is outside every loaded segment", e.getMessage());
        // ... while the last byte of memsz (beyond filesz) still counts as inside.
        GuestImage.load(ELF_MANIFEST, new Elf().setLong(24, 0x100000 + 31).bytes(), SOURCE);
    }

    @Test
    void hugeSegmentOffsetIsRejectedCleanly() {
        invalidElf(new Elf().setLong(Elf.PHOFF + 8, Long.MAX_VALUE).bytes());
    }

    @Test
    void hugeProgramHeaderOffsetIsRejectedCleanly() {
        invalidElf(new Elf().setLong(32, Long.MAX_VALUE - 15).bytes());
    }

    @Test
    void flatImageLoadsAtTheManifestsAddress() {
        GuestManifest m = manifest(CpuMode.PROTECTED, GuestManifest.ImageFormat.FLAT, 0x8000, 0x8002, 1L << 20);
        byte[] code = {1, 2, 3, 4};
        GuestImage image = GuestImage.load(m, code, "flat.bin");
        assertEquals(1, image.segments().size());
        assertEquals(0x8000, image.segments().get(0).address());
        assertEquals(4, image.segments().get(0).memSize());
        assertEquals(0x8002, image.entry());
    }

    @Test
    void flatImageOverlappingTheMonitorAreaIsRejected() {
        GuestManifest m = manifest(CpuMode.REAL, GuestManifest.ImageFormat.FLAT, 0x4fff, 0x4fff, 1L << 20);
        InvalidGuestException e = assertThrows(InvalidGuestException.class, () -> GuestImage.load(m, new byte[16], "low.bin"));
        assertEquals("low.bin: segment at 0x4fff overlaps the monitor's area below 0x5000", e.getMessage());
        // The first byte after the monitor's area is fine.
        GuestImage.load(manifest(CpuMode.REAL, GuestManifest.ImageFormat.FLAT, 0x5000, 0x5000, 1L << 20), new byte[16], "ok.bin");
    }

    @Test
    void imageNotFittingIntoMemoryIsRejected() {
        GuestManifest m = manifest(CpuMode.LONG, GuestManifest.ImageFormat.FLAT, 0x100000, 0x100000, 1L << 20);
        InvalidGuestException e = assertThrows(InvalidGuestException.class, () -> GuestImage.load(m, new byte[1], "big.bin"));
        assertEquals("big.bin: segment 0x100000-0x100001 does not fit into 1024 KiB of guest memory (use --memory)", e.getMessage());
        // Exactly up to the end of memory fits.
        GuestManifest edge = manifest(CpuMode.LONG, GuestManifest.ImageFormat.FLAT, 0xFF000, 0xFF000, 1L << 20);
        GuestImage.load(edge, new byte[0x1000], "edge.bin");
    }

    @Test
    void elfSegmentWhoseMemSizeDoesNotFitIsRejected() {
        GuestManifest small = manifest(CpuMode.LONG, GuestManifest.ImageFormat.ELF, 0, 0, 0x100000 + 16);
        InvalidGuestException e = assertThrows(InvalidGuestException.class, () -> GuestImage.load(small, new Elf().bytes(), SOURCE));
        assertTrue(e.getMessage().contains("0x100000-0x100020 does not fit"), e.getMessage());
    }

    @Test
    void checkAgainstASmallerMemoryRejectsALoadedImage() {
        GuestImage image = GuestImage.load(ELF_MANIFEST, new Elf().bytes(), SOURCE);
        assertThrows(InvalidGuestException.class, () -> image.check("guest t", 0x100000));
    }

    @Test
    void realModeEntryAbove64KiBIsRejected() {
        GuestManifest m = manifest(CpuMode.REAL, GuestManifest.ImageFormat.FLAT, 0x10000, 0x10000, 1L << 20);
        InvalidGuestException e = assertThrows(InvalidGuestException.class, () -> GuestImage.load(m, new byte[16], "real.bin"));
        assertEquals("real.bin: real-mode entry 0x10000 is above 64 KiB", e.getMessage());
        // The same placement is fine in protected mode, and the last real-mode byte is fine.
        GuestImage.load(manifest(CpuMode.PROTECTED, GuestManifest.ImageFormat.FLAT, 0x10000, 0x10000, 1L << 20), new byte[16], "pm.bin");
        GuestImage.load(manifest(CpuMode.REAL, GuestManifest.ImageFormat.FLAT, 0xFFF0, 0xFFFF, 1L << 20), new byte[16], "real.bin");
    }

    @Test
    void emptyFlatImageHasNothingToRun() {
        GuestManifest m = manifest(CpuMode.REAL, GuestManifest.ImageFormat.FLAT, 0x8000, 0x8000, 1L << 20);
        InvalidGuestException e = assertThrows(InvalidGuestException.class, () -> GuestImage.load(m, new byte[0], "empty.bin"));
        assertEquals("empty.bin: entry point 0x8000 is outside every loaded segment", e.getMessage());
    }
}
