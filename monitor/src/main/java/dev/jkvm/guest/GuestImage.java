package dev.jkvm.guest;

import java.util.List;

/**
 * A guest ready to be copied into memory: what goes where, and where execution starts.
 * Built from a flat image (one segment at the manifest's load address) or an ELF64 executable
 * (one segment per PT_LOAD). Every segment has been checked to lie inside guest memory and clear
 * of the monitor's area.
 */
public record GuestImage(GuestManifest manifest, List<Segment> segments, long entry) {

    /** Bytes to place at a guest physical address; memory beyond {@code bytes} up to {@code memSize} is zero. */
    public record Segment(long address, byte[] bytes, long memSize) {}

    public static GuestImage load(GuestManifest manifest, byte[] file, String source) {
        GuestImage image = switch (manifest.format()) {
            case FLAT -> new GuestImage(manifest, List.of(new Segment(manifest.load(), file, file.length)), manifest.entry());
            case ELF -> ElfImage.parse(manifest, file, source);
            case MULTIBOOT -> MultibootImage.parse(manifest, file, source);
        };
        image.check(source, manifest.memory());
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
    }
}
