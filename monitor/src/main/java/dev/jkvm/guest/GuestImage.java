package dev.jkvm.guest;

import java.util.List;

/**
 * A guest ready to be copied into memory: what goes where, and where execution starts.
 * Built from a flat image (one segment at the manifest's load address) or an ELF64 executable
 * (one segment per PT_LOAD). Every segment has been checked to lie inside guest memory and clear
 * of the monitor's area.
 */
public record GuestImage(GuestManifest manifest, List<Segment> segments, long entry, LinuxBoot linux) {

    /** An image that is not a Linux kernel: no boot_params to hand over. */
    public GuestImage(GuestManifest manifest, List<Segment> segments, long entry) {
        this(manifest, segments, entry, null);
    }

    /**
     * A Linux kernel laid out with its initrd and command line for {@code memory} bytes of RAM
     * (see {@link LinuxBoot}); checked like every image.
     */
    public static GuestImage bootLinux(GuestManifest manifest, BzImage kernel, byte[] initrd, String cmdline, long memory, String source) {
        GuestImage image = LinuxBoot.build(kernel, initrd, cmdline, memory, source).image(manifest);
        image.check(source, memory);
        return image;
    }

    /** Bytes to place at a guest physical address; memory beyond {@code bytes} up to {@code memSize} is zero. */
    public record Segment(long address, byte[] bytes, long memSize) {}

    public static GuestImage load(GuestManifest manifest, byte[] file, String source) {
        return load(manifest, file, source, manifest.memory());
    }

    /** Loads and checks the image against {@code memory} bytes of guest RAM (--memory, else the manifest's). */
    public static GuestImage load(GuestManifest manifest, byte[] file, String source, long memory) {
        GuestImage image = switch (manifest.format()) {
            case FLAT -> new GuestImage(manifest, List.of(new Segment(manifest.load(), file, file.length)), manifest.entry());
            case ELF -> ElfImage.parse(manifest, file, source);
            case MULTIBOOT -> MultibootImage.parse(manifest, file, source);
            // A kernel given without --initrd: booted with the default command line and no initrd.
            case BZIMAGE -> LinuxBoot.build(BzImage.parse(file, source), new byte[0], LinuxBoot.DEFAULT_CMDLINE, memory, source).image(manifest);
        };
        image.check(source, memory);
        return image;
    }

    /** Checks that every segment fits into {@code memory} bytes of guest RAM and the entry is inside one. */
    public void check(String source, long memory) {
        if (segments.isEmpty()) throw new InvalidGuestException(source + ": image has nothing to load");
        boolean entryInside = false;
        for (Segment s : segments) {
            long end = s.address() + Math.max(s.bytes().length, s.memSize());
            if (s.address() < GuestLayout.FIRST_IMAGE_BYTE) {
                throw new InvalidGuestException(String.format(
                        "%s: segment at 0x%x overlaps the monitor's area below 0x%x", source, s.address(), GuestLayout.FIRST_IMAGE_BYTE));
            }
            if (end > memory || end < s.address()) {
                throw new InvalidGuestException(String.format(
                        "%s: segment 0x%x-0x%x does not fit into %d KiB of guest memory (use --memory)",
                        source, s.address(), end, memory >> 10));
            }
            if (entry >= s.address() && entry < end) entryInside = true;
        }
        if (!entryInside) throw new InvalidGuestException(String.format("%s: entry point 0x%x is outside every loaded segment", source, entry));
        if (manifest.mode() == CpuMode.REAL && entry > 0xFFFF) {
            throw new InvalidGuestException(String.format("%s: real-mode entry 0x%x is above 64 KiB", source, entry));
        }
        checkShared(source, "counter", manifest.counter(), 8, 8, memory);
        checkShared(source, "tsc-ring", manifest.tscRing(), GuestLayout.RING_HEADER_BYTES, 8, memory);
        checkShared(source, "steal-time", manifest.stealTime(), GuestLayout.STEAL_TIME_BYTES, 64, memory);
        checkShared(source, "lock-stats", manifest.lockStats(), GuestLayout.LOCK_STATS_BYTES, GuestLayout.PAGE, memory);
        checkShared(source, "tick-ring", manifest.tickRing(), GuestLayout.RING_HEADER_BYTES, 8, memory);
    }

    /**
     * The monitor reads these guest areas while the guest runs, so they must lie inside guest memory
     * (and be aligned as their readers need) before anything starts.
     */
    private static void checkShared(String source, String key, java.util.OptionalLong address, long bytes, long align, long memory) {
        if (address.isEmpty()) return;
        long at = address.getAsLong();
        if (at < 0 || at % align != 0) {
            throw new InvalidGuestException(String.format(
                    "%s: manifest '%s' 0x%x is not a %d-byte aligned guest address (fix the manifest)", source, key, at, align));
        }
        if (at > memory - bytes) {
            throw new InvalidGuestException(String.format(
                    "%s: manifest '%s' 0x%x-0x%x is outside %d KiB of guest memory (fix the manifest or use --memory)",
                    source, key, at, at + bytes, memory >> 10));
        }
    }
}
