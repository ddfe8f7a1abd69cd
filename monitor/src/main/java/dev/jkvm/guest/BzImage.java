package dev.jkvm.guest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The parts of an x86 Linux kernel image (bzImage, "vmlinuz") a boot loader needs, read from its
 * set-up header (the kernel's Documentation/arch/x86/boot.rst): the header bytes to copy into
 * boot_params, the protected-mode kernel that follows the real-mode set-up sectors, and the
 * fields that bound where things may go. Pure parsing: nothing is placed in memory here.
 *
 * <p>jkvm enters the kernel at its 64-bit entry (boot protocol 2.12+, {@code XLF_KERNEL_64}), so
 * the real-mode set-up code is never run and only its header is used.
 */
public record BzImage(
        int protocol,
        byte[] setupHeader,
        byte[] protectedMode,
        int loadflags,
        int xloadflags,
        long initrdAddrMax,
        long kernelAlignment,
        boolean relocatable,
        int cmdlineSize,
        long prefAddress,
        long initSize) {

    /** Offsets into the image, which are also offsets into boot_params (the "zero page"). */
    static final int SETUP_SECTS = 0x1f1, BOOT_FLAG = 0x1fe, JUMP = 0x200, HEADER = 0x202, VERSION = 0x206,
            TYPE_OF_LOADER = 0x210, LOADFLAGS = 0x211, CODE32_START = 0x214, RAMDISK_IMAGE = 0x218,
            RAMDISK_SIZE = 0x21c, HEAP_END_PTR = 0x224, CMD_LINE_PTR = 0x228, INITRD_ADDR_MAX = 0x22c,
            KERNEL_ALIGNMENT = 0x230, RELOCATABLE_KERNEL = 0x234, XLOADFLAGS = 0x236, CMDLINE_SIZE = 0x238,
            PREF_ADDRESS = 0x258, INIT_SIZE = 0x260, VID_MODE = 0x1fa;
    static final int BOOT_FLAG_MAGIC = 0xAA55;
    static final int HDRS_MAGIC = 0x53726448; // "HdrS"
    /** 2.12 brought xloadflags, which says whether the 64-bit entry exists. */
    public static final int MIN_PROTOCOL = 0x020c;
    static final int LOADED_HIGH = 1;
    static final int XLF_KERNEL_64 = 1;
    /** The 64-bit entry point lies this far past the start of the protected-mode kernel (boot.rst, "64-bit boot protocol"). */
    public static final long ENTRY_64_OFFSET = 0x200;
    /** The largest set-up a boot loader may load: the header's setup_sects is one byte (255 sectors + the boot sector). */
    private static final int MAX_SETUP_SECTS = 255;

    /** Whether these bytes start like a bzImage (boot flag and "HdrS"); used to recognise --guest PATH. */
    public static boolean looksLikeBzImage(byte[] file) {
        if (file.length < HEADER + 4) return false;
        ByteBuffer b = le(file);
        return Short.toUnsignedInt(b.getShort(BOOT_FLAG)) == BOOT_FLAG_MAGIC && b.getInt(HEADER) == HDRS_MAGIC;
    }

    /** Parses and checks a bzImage; {@code source} names it in errors. */
    public static BzImage parse(byte[] file, String source) {
        // Up to the protocol version (0x206, two bytes): read before the length the set-up sectors give is known.
        if (file.length < VERSION + 2) {
            throw new InvalidGuestException(source + ": " + file.length + " bytes is too short for an x86 Linux kernel (its boot protocol version ends at 0x208)");
        }
        ByteBuffer b = le(file);
        if (Short.toUnsignedInt(b.getShort(BOOT_FLAG)) != BOOT_FLAG_MAGIC || b.getInt(HEADER) != HDRS_MAGIC) {
            throw new InvalidGuestException(source + ": not a Linux bzImage (no boot flag 0xAA55 at 0x1fe with \"HdrS\" at 0x202)");
        }
        int protocol = Short.toUnsignedInt(b.getShort(VERSION));
        if (protocol < MIN_PROTOCOL) {
            throw new InvalidGuestException(String.format("%s: boot protocol %d.%02d is older than 2.12, which jkvm needs for the 64-bit entry (a kernel from 3.8 on)",
                    source, protocol >> 8, protocol & 0xff));
        }
        // The header runs from 0x1f1 to the end the jump at 0x200 skips to (0x202 + its offset byte).
        int headerEnd = JUMP + 2 + Byte.toUnsignedInt(file[JUMP + 1]);
        if (headerEnd < INIT_SIZE + 4 || headerEnd > 0x290) {
            throw new InvalidGuestException(String.format("%s: set-up header end 0x%x does not fit boot protocol %d.%02d", source, headerEnd, protocol >> 8, protocol & 0xff));
        }
        int setupSects = Byte.toUnsignedInt(file[SETUP_SECTS]);
        if (setupSects == 0) setupSects = 4;
        long setupBytes = (setupSects + 1L) * 512;
        if (setupSects > MAX_SETUP_SECTS || setupBytes > file.length) {
            throw new InvalidGuestException(String.format("%s: truncated: %d bytes, but the set-up alone is %d bytes (%d sectors)",
                    source, file.length, setupBytes, setupSects));
        }
        int loadflags = Byte.toUnsignedInt(file[LOADFLAGS]);
        if ((loadflags & LOADED_HIGH) == 0) {
            throw new InvalidGuestException(source + ": a zImage (loaded at 0x10000), not a bzImage; jkvm boots bzImages only");
        }
        int xloadflags = Short.toUnsignedInt(b.getShort(XLOADFLAGS));
        if ((xloadflags & XLF_KERNEL_64) == 0) {
            throw new InvalidGuestException(source + ": the kernel has no 64-bit entry point (xloadflags bit 0); build a 64-bit kernel");
        }
        // syssize (16-byte paragraphs) says how long the protected-mode part is: a shorter file was cut off.
        long syssize = Integer.toUnsignedLong(b.getInt(0x1f4)) * 16;
        if (syssize == 0 || setupBytes + syssize > file.length) {
            throw new InvalidGuestException(String.format("%s: truncated: %d bytes, but the header says %d (set-up %d + kernel %d)",
                    source, file.length, setupBytes + syssize, setupBytes, syssize));
        }
        long initSize = Integer.toUnsignedLong(b.getInt(INIT_SIZE));
        if (initSize < syssize) {
            throw new InvalidGuestException(String.format("%s: init_size 0x%x is smaller than the kernel itself (0x%x)", source, initSize, syssize));
        }
        return new BzImage(
                protocol,
                Arrays.copyOfRange(file, SETUP_SECTS, headerEnd),
                Arrays.copyOfRange(file, (int) setupBytes, (int) (setupBytes + syssize)),
                loadflags,
                xloadflags,
                Integer.toUnsignedLong(b.getInt(INITRD_ADDR_MAX)),
                Integer.toUnsignedLong(b.getInt(KERNEL_ALIGNMENT)),
                file[RELOCATABLE_KERNEL] != 0,
                b.getInt(CMDLINE_SIZE),
                b.getLong(PREF_ADDRESS),
                initSize);
    }

    /** The protocol version as boot.rst writes it, e.g. "2.15". */
    public String protocolVersion() {
        return String.format("%d.%02d", protocol >> 8, protocol & 0xff);
    }

    private static ByteBuffer le(byte[] file) {
        return ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    }
}
