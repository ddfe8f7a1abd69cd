package dev.jkvm.guest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The bzImage loader and boot_params on synthetic kernels built here byte by byte (the offsets are
 * checked against the kernel's own header by {@link BootParamsLayoutTest}), and on mutated ones.
 */
class BzImageTest {
    static final int SETUP_SECTS = 3;
    static final long MIB = 1L << 20;

    /** A bzImage: 4 sectors of set-up with a protocol-2.15 header, then {@code kernel} bytes. */
    static byte[] bzImage(byte[] kernel, int cmdlineSize) {
        int setup = (SETUP_SECTS + 1) * 512;
        ByteBuffer b = ByteBuffer.allocate(setup + kernel.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1f1, (byte) SETUP_SECTS);
        b.putInt(0x1f4, kernel.length / 16);
        b.putShort(0x1fe, (short) 0xAA55);
        b.put(0x200, (byte) 0xEB).put(0x201, (byte) (0x268 - 0x202)); // jmp over the header, which ends at 0x268
        b.putInt(0x202, 0x53726448);
        b.putShort(0x206, (short) 0x020f);
        b.put(0x211, (byte) 0x01); // LOADED_HIGH
        b.putInt(0x214, 0x100000);
        b.putInt(0x22c, 0x7fffffff);
        b.putInt(0x230, 0x200000);
        b.put(0x234, (byte) 1);
        b.putShort(0x236, (short) 0x7f);
        b.putInt(0x238, cmdlineSize);
        b.putLong(0x258, 0x1000000);
        b.putInt(0x260, 0x400000); // init_size: 4 MiB
        b.put(setup, kernel);
        return b.array();
    }

    static byte[] kernel() {
        byte[] k = new byte[4096];
        new Random(7).nextBytes(k);
        return k;
    }

    private static GuestManifest manifest() {
        return GuestCatalog.linuxManifest("k", "test kernel");
    }

    @Test
    void parsesTheHeaderAndFindsTheProtectedModeKernel() {
        byte[] k = kernel();
        BzImage bz = BzImage.parse(bzImage(k, 2047), "k");
        assertEquals("2.15", bz.protocolVersion());
        assertArrayEquals(k, bz.protectedMode());
        assertEquals(2047, bz.cmdlineSize());
        assertEquals(0x7fffffffL, bz.initrdAddrMax());
        assertEquals(0x1000000, bz.prefAddress());
        assertEquals(0x400000, bz.initSize());
        assertTrue(bz.relocatable());
        assertEquals(0x268 - 0x1f1, bz.setupHeader().length, "the header runs to where the jump at 0x200 lands");
    }

    @Test
    void bootParamsCarryTheHeaderTheLoaderFieldsAndTheMemoryMap() {
        byte[] initrd = "initrd".getBytes(StandardCharsets.US_ASCII);
        LinuxBoot boot = LinuxBoot.build(BzImage.parse(bzImage(kernel(), 2047), "k"), initrd, "console=ttyS0 x=1", 64 * MIB, "k");
        GuestImage.Segment zp = boot.segments().get(0);
        assertEquals(LinuxBoot.BOOT_PARAMS, zp.address());
        ByteBuffer b = ByteBuffer.wrap(zp.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xAA55, Short.toUnsignedInt(b.getShort(0x1fe)));
        assertEquals(0x53726448, b.getInt(0x202));
        assertEquals(0xff, Byte.toUnsignedInt(b.get(0x210)), "type_of_loader: undefined");
        assertEquals(LinuxBoot.CMDLINE, b.getInt(0x228));
        // initrd at the top of RAM, page-aligned
        long initrdAt = Integer.toUnsignedLong(b.getInt(0x218));
        assertEquals((64 * MIB - initrd.length) & -4096L, initrdAt);
        assertEquals(initrd.length, b.getInt(0x21c));
        assertEquals(initrdAt, boot.initrdAddress());
        // E820: low RAM, reserved, BIOS, RAM from 1 MiB to the top
        assertEquals(4, b.get(0x1e8));
        assertEquals(0x100000, b.getLong(0x2d0 + 3 * 20));
        assertEquals(64 * MIB - 0x100000, b.getLong(0x2d0 + 3 * 20 + 8));
        assertEquals(1, b.getInt(0x2d0 + 3 * 20 + 16));
        assertEquals(2, b.getInt(0x2d0 + 20 + 16));
        // command line NUL-terminated at its pointer; kernel at 1 MiB; entered at startup_64 = +0x200
        GuestImage.Segment cmd = boot.segments().get(1);
        assertEquals(LinuxBoot.CMDLINE, cmd.address());
        assertEquals("console=ttyS0 x=1\0", new String(cmd.bytes(), StandardCharsets.US_ASCII));
        assertEquals(0x100000, boot.segments().get(2).address());
        assertEquals(0x100200, boot.entry());
        assertEquals(initrdAt, boot.segments().get(3).address());
    }

    @Test
    void theImageFitsTheCheckOfEveryGuest() {
        GuestImage img = GuestImage.bootLinux(manifest(), BzImage.parse(bzImage(kernel(), 2047), "k"), new byte[100], "x", 64 * MIB, "k");
        assertEquals(LinuxBoot.BOOT_PARAMS, img.linux().bootParams());
        assertEquals(4, img.segments().size());
    }

    @Test
    void initrdStaysBelowInitrdAddrMax() {
        byte[] image = bzImage(kernel(), 2047);
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putInt(0x22c, (int) (32 * MIB - 1));
        LinuxBoot boot = LinuxBoot.build(BzImage.parse(image, "k"), new byte[5000], "", 64 * MIB, "k");
        assertEquals((32 * MIB - 5000) & -4096L, boot.initrdAddress());
    }

    @Test
    void recognisesABzImageAndNothingElse() {
        assertTrue(BzImage.looksLikeBzImage(bzImage(kernel(), 2047)));
        assertFalse(BzImage.looksLikeBzImage(new byte[] {0x7f, 'E', 'L', 'F'}));
        assertFalse(BzImage.looksLikeBzImage(new byte[4096]));
    }

    @Test
    void badKernelsAreRefusedWithTheReason() {
        byte[] good = bzImage(kernel(), 2047);
        assertMessage(new byte[4096], "not a Linux bzImage");
        assertMessage(new byte[100], "too short");
        assertMessage(Arrays.copyOf(good, 0x207), "too short"); // boot flag and "HdrS" there, the version cut off (found by BzImagePropertiesTest)
        assertMessage(Arrays.copyOf(good, good.length - 1000), "truncated");
        assertMessage(Arrays.copyOf(good, 1000), "truncated");
        byte[] old = good.clone();
        ByteBuffer.wrap(old).order(ByteOrder.LITTLE_ENDIAN).putShort(0x206, (short) 0x0208);
        assertMessage(old, "older than 2.12");
        byte[] zImage = good.clone();
        zImage[0x211] = 0;
        assertMessage(zImage, "zImage");
        byte[] no64 = good.clone();
        ByteBuffer.wrap(no64).order(ByteOrder.LITTLE_ENDIAN).putShort(0x236, (short) 0);
        assertMessage(no64, "64-bit entry");
    }

    @Test
    void anInitrdLargerThanRamIsRefused() {
        BzImage bz = BzImage.parse(bzImage(kernel(), 2047), "k");
        InvalidGuestException e = assertThrows(InvalidGuestException.class, () -> LinuxBoot.build(bz, new byte[(int) (64 * MIB)], "", 64 * MIB, "k"));
        assertTrue(e.getMessage().contains("larger than the VM's 64 MiB of RAM"), e.getMessage());
        // Smaller than RAM but not above the decompressed kernel (16 MiB + 4 MiB init_size)
        e = assertThrows(InvalidGuestException.class, () -> LinuxBoot.build(bz, new byte[(int) (50 * MIB)], "", 64 * MIB, "k"));
        assertTrue(e.getMessage().contains("do not fit into 64 MiB"), e.getMessage());
    }

    @Test
    void aCommandLineLongerThanTheKernelAcceptsIsRefused() {
        BzImage bz = BzImage.parse(bzImage(kernel(), 100), "k");
        LinuxBoot.build(bz, new byte[0], "x".repeat(100), 64 * MIB, "k");
        InvalidGuestException e = assertThrows(InvalidGuestException.class, () -> LinuxBoot.build(bz, new byte[0], "x".repeat(101), 64 * MIB, "k"));
        assertTrue(e.getMessage().contains("101 bytes, more than the 100 this kernel accepts"), e.getMessage());
        assertThrows(InvalidGuestException.class, () -> LinuxBoot.build(bz, new byte[0], "caf\u00e9", 64 * MIB, "k"));
    }

    @Test
    void tooLittleRamForTheKernelToDecompressIsRefused() {
        BzImage bz = BzImage.parse(bzImage(kernel(), 2047), "k");
        InvalidGuestException e = assertThrows(InvalidGuestException.class, () -> LinuxBoot.build(bz, new byte[0], "", 16 * MIB, "k"));
        assertTrue(e.getMessage().contains("to decompress"), e.getMessage());
    }

    @Test
    void theDecompressedKernelLoadsByItsProgramHeaders() {
        BzImage bz = BzImage.parse(bzImage(kernel(), 2047), "k");
        GuestImage vmlinux = new GuestImage(manifest(), List.of(new GuestImage.Segment(0x1000000, new byte[64], 128)), 0x1000000);
        LinuxBoot boot = LinuxBoot.buildDecompressed(bz, vmlinux, new byte[10], "x", 64 * MIB, "k");
        assertEquals(0x1000000, boot.entry(), "startup_64 of the kernel proper");
        assertEquals(0x1000000, boot.segments().get(2).address());
    }

    /** Random mutations of a good image: a typed error or an image, never anything else, in bounded work. */
    @Test
    void mutatedImagesGiveOnlyTypedErrors() {
        byte[] good = bzImage(kernel(), 2047);
        Random r = new Random(12);
        for (int i = 0; i < 5000; i++) {
            byte[] m = good.clone();
            int flips = 1 + r.nextInt(8);
            for (int f = 0; f < flips; f++) m[0x1f0 + r.nextInt(0x80)] = (byte) r.nextInt(256);
            if (r.nextBoolean()) m = Arrays.copyOf(m, r.nextInt(m.length + 1));
            try {
                GuestImage.bootLinux(manifest(), BzImage.parse(m, "m"), new byte[r.nextInt(3) * 4096], "console=ttyS0", 64 * MIB, "m");
            } catch (InvalidGuestException expected) {
                assertFalse(expected.getMessage().isBlank());
            }
        }
    }

    @Test
    void aBzImageWithoutManifestIsRecognisedByPath() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("jkvm-bz");
        try {
            java.nio.file.Path k = dir.resolve("vmlinuz");
            java.nio.file.Files.write(k, bzImage(kernel(), 2047));
            java.nio.file.Path initrd = dir.resolve("initrd.img");
            java.nio.file.Files.write(initrd, new byte[8192]);
            GuestImage img = GuestCatalog.resolve(k.toString(), OptionalLong.of(64 * MIB),
                    new LinuxOptions(java.util.Optional.of(initrd), java.util.Optional.empty(), LinuxOptions.cmdline("x=1")));
            assertEquals(GuestManifest.ImageFormat.BZIMAGE, img.manifest().format());
            assertEquals(GuestManifest.Irqchip.KERNEL, img.manifest().irqchip());
            assertEquals(LinuxBoot.DEFAULT_CMDLINE + " x=1", img.linux().cmdline());
            assertEquals(8192, img.segments().get(3).bytes().length);
            java.nio.file.Files.write(initrd, new byte[(int) (64 * MIB)]);
            InvalidGuestException e = assertThrows(InvalidGuestException.class, () -> GuestCatalog.resolve(k.toString(), OptionalLong.of(64 * MIB),
                    new LinuxOptions(java.util.Optional.of(initrd), java.util.Optional.empty(), LinuxOptions.cmdline(""))));
            assertTrue(e.getMessage().contains("larger than the VM's"), e.getMessage());
        } finally {
            try (var s = java.nio.file.Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void assertMessage(byte[] image, String expected) {
        InvalidGuestException e = assertThrows(InvalidGuestException.class, () -> BzImage.parse(image, "k"));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().startsWith("k: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
