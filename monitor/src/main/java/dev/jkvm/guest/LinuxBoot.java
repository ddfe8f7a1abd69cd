package dev.jkvm.guest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a boot loader places in guest memory for a bzImage, following the x86 boot protocol: the
 * protected-mode kernel at 1 MiB, boot_params (the "zero page": the kernel's set-up header with the
 * loader's fields filled in, and an E820 memory map), the command line, and the initrd at the top of
 * RAM below the kernel's initrd_addr_max. Pure: builds {@link GuestImage.Segment}s and checks every
 * limit (command line length, initrd size, room for the kernel to decompress) before anything runs.
 *
 * <pre>
 *   0x0000_7000  boot_params, 4 KiB (rsi at the 64-bit entry)
 *   0x0002_0000  command line, at most the kernel's cmdline_size bytes + NUL
 *   0x0010_0000  protected-mode kernel (64-bit entry at +0x200); it decompresses itself to
 *                pref_address (16 MiB) .. + init_size
 *   top of RAM   initrd, page-aligned, below initrd_addr_max
 * </pre>
 */
public record LinuxBoot(List<GuestImage.Segment> segments, long entry, long bootParams, long initrdAddress, String cmdline) {
    /**
     * The command line every Linux guest starts with (--cmdline appends to it): the console on COM1;
     * no ACPI (jkvm has no ACPI tables); a panic reboots at once (panic=-1) by a triple fault
     * (reboot=t), which KVM reports as a shutdown, so a panic ends the VM as a fault instead of
     * hanging; quiet, because every console byte is a port-I/O exit.
     */
    public static final String DEFAULT_CMDLINE = "console=ttyS0 acpi=off reboot=t panic=-1 quiet";
    public static final long BOOT_PARAMS = 0x7000;
    public static final long CMDLINE = 0x2_0000;
    public static final long KERNEL = 0x10_0000;
    /** E820 types (boot.rst / e820 ABI). */
    static final int E820_RAM = 1, E820_RESERVED = 2;
    /** Offsets inside boot_params beyond the set-up header (arch/x86/include/uapi/asm/bootparam.h). */
    static final int EXT_RAMDISK_IMAGE = 0x0c0, EXT_RAMDISK_SIZE = 0x0c4, EXT_CMD_LINE_PTR = 0x0c8,
            E820_ENTRIES = 0x1e8, E820_TABLE = 0x2d0, E820_ENTRY_SIZE = 20;
    static final int ZERO_PAGE_SIZE = 4096;
    /** type_of_loader 0xff: "undefined" loader, as boot.rst asks of loaders without an assigned id. */
    static final int LOADER_UNDEFINED = 0xff;
    /** vid_mode 0xffff: "normal" text mode, nothing to set up (no display here anyway). */
    static final int VID_MODE_NORMAL = 0xffff;
    /** The conventional-memory end a PC BIOS reports (the EBDA above it). */
    static final long LOW_MEMORY_END = 0x9_FC00;
    static final long PAGE = 4096;

    /** The image to load: these segments, entered at the 64-bit entry with boot_params in RSI. */
    public GuestImage image(GuestManifest manifest) {
        return new GuestImage(manifest, segments, entry, this);
    }

    /**
     * Lays out {@code kernel} with {@code initrd} (may be empty) and {@code cmdline} in {@code memory}
     * bytes of RAM. {@code source} names the kernel in errors.
     */
    public static LinuxBoot build(BzImage kernel, byte[] initrd, String cmdline, long memory, String source) {
        return build(kernel, List.of(new GuestImage.Segment(KERNEL, kernel.protectedMode(), kernel.protectedMode().length)),
                KERNEL + BzImage.ENTRY_64_OFFSET, initrd, cmdline, memory, source);
    }

    /**
     * Lays out the kernel already decompressed: {@code vmlinux}, the ELF the bzImage carries (its
     * PT_LOAD segments at their physical addresses, entered at startup_64 with boot_params in RSI, as
     * the decompressor itself would). The bzImage {@code header} still supplies the set-up header and
     * limits. Skips the kernel's self-decompression, which is most of a boot on a slow host.
     */
    public static LinuxBoot buildDecompressed(BzImage header, GuestImage vmlinux, byte[] initrd, String cmdline, long memory, String source) {
        return build(header, vmlinux.segments(), vmlinux.entry(), initrd, cmdline, memory, source);
    }

    private static LinuxBoot build(BzImage kernel, List<GuestImage.Segment> kernelSegments, long entry, byte[] initrd, String cmdline,
            long memory, String source) {
        byte[] cmd = cmdline.getBytes(StandardCharsets.US_ASCII);
        if (!StandardCharsets.US_ASCII.newEncoder().canEncode(cmdline) || cmdline.indexOf('\0') >= 0) {
            throw new InvalidGuestException(source + ": the kernel command line must be ASCII without NUL bytes");
        }
        if (cmd.length > Math.min(kernel.cmdlineSize(), KERNEL - CMDLINE - 1)) {
            throw new InvalidGuestException(String.format("%s: the kernel command line is %d bytes, more than the %d this kernel accepts (cmdline_size); shorten --cmdline",
                    source, cmd.length, kernel.cmdlineSize()));
        }
        // The kernel decompresses itself to pref_address (or the next kernel_alignment above where it
        // was loaded) and needs init_size bytes there; the initrd must lie above that.
        long kernelEnd = Math.max(kernel.prefAddress(), KERNEL) + kernel.initSize();
        long ramTop = Math.min(memory, kernel.initrdAddrMax() + 1);
        long initrdAt = 0;
        if (initrd.length > 0) {
            if (initrd.length >= memory) {
                throw new InvalidGuestException(String.format("%s: the initrd is %d bytes, larger than the VM's %d MiB of RAM (use --memory)",
                        source, initrd.length, memory >> 20));
            }
            initrdAt = (ramTop - initrd.length) & -PAGE;
            if (initrdAt < kernelEnd) {
                throw new InvalidGuestException(String.format("%s: the kernel (decompressed up to 0x%x, %d MiB) and the %d KiB initrd do not fit into %d MiB of RAM (use --memory)",
                        source, kernelEnd, kernelEnd >> 20, initrd.length >> 10, memory >> 20));
            }
        } else if (kernelEnd > memory) {
            throw new InvalidGuestException(String.format("%s: the kernel needs RAM up to 0x%x (%d MiB) to decompress, more than the VM's %d MiB (use --memory)",
                    source, kernelEnd, kernelEnd >> 20, memory >> 20));
        }

        ByteBuffer zp = ByteBuffer.allocate(ZERO_PAGE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        zp.put(BzImage.SETUP_SECTS, kernel.setupHeader());
        zp.putShort(BzImage.VID_MODE, (short) VID_MODE_NORMAL);
        zp.put(BzImage.TYPE_OF_LOADER, (byte) LOADER_UNDEFINED);
        zp.putInt(BzImage.CODE32_START, (int) KERNEL);
        zp.putInt(BzImage.CMD_LINE_PTR, (int) CMDLINE);
        zp.putInt(EXT_CMD_LINE_PTR, 0);
        zp.putInt(BzImage.RAMDISK_IMAGE, (int) initrdAt);
        zp.putInt(BzImage.RAMDISK_SIZE, initrd.length);
        zp.putInt(EXT_RAMDISK_IMAGE, 0);
        zp.putInt(EXT_RAMDISK_SIZE, 0);
        long[][] map = {
            {0, LOW_MEMORY_END, E820_RAM},
            {LOW_MEMORY_END, 0xA_0000 - LOW_MEMORY_END, E820_RESERVED},
            {0xF_0000, 0x1_0000, E820_RESERVED}, // where a PC has its BIOS ROM
            {KERNEL, memory - KERNEL, E820_RAM},
        };
        zp.put(E820_ENTRIES, (byte) map.length);
        for (int i = 0; i < map.length; i++) {
            int at = E820_TABLE + i * E820_ENTRY_SIZE;
            zp.putLong(at, map[i][0]);
            zp.putLong(at + 8, map[i][1]);
            zp.putInt(at + 16, (int) map[i][2]);
        }

        byte[] cmdWithNul = new byte[cmd.length + 1];
        System.arraycopy(cmd, 0, cmdWithNul, 0, cmd.length);
        List<GuestImage.Segment> segments = new ArrayList<>();
        segments.add(new GuestImage.Segment(BOOT_PARAMS, zp.array(), ZERO_PAGE_SIZE));
        segments.add(new GuestImage.Segment(CMDLINE, cmdWithNul, cmdWithNul.length));
        segments.addAll(kernelSegments);
        if (initrd.length > 0) segments.add(new GuestImage.Segment(initrdAt, initrd, initrd.length));
        return new LinuxBoot(List.copyOf(segments), entry, BOOT_PARAMS, initrdAt, cmdline);
    }
}
