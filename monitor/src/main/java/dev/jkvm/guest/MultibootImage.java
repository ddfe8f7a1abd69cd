package dev.jkvm.guest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

/**
 * Loads a Multiboot (version 1) kernel: the header (magic 0x1BADB002, flags, checksum) in the first
 * 8 KiB, then either the ELF32 program headers (PT_LOAD at p_paddr, entry e_entry) or, with flag
 * bit 16, the header's own load addresses (the "a.out kludge"). Flags 0 (page-aligned modules), 1
 * (memory information) and 2 (video mode: a request jkvm, having no display, leaves unanswered, as
 * QEMU does) are understood; any other bit of 0–15 is a requirement jkvm cannot meet, so the image
 * is refused, as the specification asks.
 */
public final class MultibootImage {
    public static final int HEADER_MAGIC = 0x1BADB002;
    /** What the kernel finds in EAX at its entry point. */
    public static final int BOOTLOADER_MAGIC = 0x2BADB002;
    private static final int SEARCH_BYTES = 8192;
    private static final int FLAG_AOUT_KLUDGE = 1 << 16;
    private static final int UNDERSTOOD_REQUIREMENTS = 0b111;
    private static final int PT_LOAD = 1, EM_386 = 3, ET_EXEC = 2;

    private MultibootImage() {}

    /** The file offset of a valid Multiboot header (magic, and a checksum that sums to 0), if any. */
    public static OptionalInt findHeader(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int end = Math.min(SEARCH_BYTES, file.length) - 12;
        for (int at = 0; at <= end; at += 4) {
            if (b.getInt(at) == HEADER_MAGIC && b.getInt(at) + b.getInt(at + 4) + b.getInt(at + 8) == 0) return OptionalInt.of(at);
        }
        return OptionalInt.empty();
    }

    static GuestImage parse(GuestManifest manifest, byte[] file, String source) {
        int header = findHeader(file).orElseThrow(() -> new InvalidGuestException(
                source + ": no Multiboot header (magic 0x1BADB002 with a valid checksum) in the first 8 KiB"));
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int flags = b.getInt(header + 4);
        int unknown = flags & 0xFFFF & ~UNDERSTOOD_REQUIREMENTS;
        if (unknown != 0) {
            throw new InvalidGuestException(String.format("%s: the Multiboot header requires features jkvm does not offer (flags 0x%x)", source, unknown));
        }
        if ((flags & FLAG_AOUT_KLUDGE) != 0) return aoutKludge(manifest, file, b, header, source);
        return elf32(manifest, file, b, source);
    }

    /** Load addresses from the header: the file from where header_addr lands, up to load_end, zero to bss_end. */
    private static GuestImage aoutKludge(GuestManifest manifest, byte[] file, ByteBuffer b, int header, String source) {
        if (header + 32 > file.length) throw new InvalidGuestException(source + ": Multiboot header truncated (address fields missing)");
        long headerAddr = Integer.toUnsignedLong(b.getInt(header + 12));
        long loadAddr = Integer.toUnsignedLong(b.getInt(header + 16));
        long loadEnd = Integer.toUnsignedLong(b.getInt(header + 20));
        long bssEnd = Integer.toUnsignedLong(b.getInt(header + 24));
        long entry = Integer.toUnsignedLong(b.getInt(header + 28));
        if (headerAddr < loadAddr || headerAddr - loadAddr > header) {
            throw new InvalidGuestException(String.format("%s: Multiboot header_addr 0x%x and load_addr 0x%x do not fit the file", source, headerAddr, loadAddr));
        }
        long fileOffset = header - (headerAddr - loadAddr);
        long size = loadEnd == 0 ? file.length - fileOffset : loadEnd - loadAddr;
        if (loadEnd != 0 && loadEnd < loadAddr || size > file.length - fileOffset) {
            throw new InvalidGuestException(String.format("%s: Multiboot load_end_addr 0x%x reaches past the end of the file", source, loadEnd));
        }
        long memSize = bssEnd == 0 ? size : bssEnd - loadAddr;
        if (memSize < size) throw new InvalidGuestException(String.format("%s: Multiboot bss_end_addr 0x%x lies before load_end_addr", source, bssEnd));
        byte[] bytes = Arrays.copyOfRange(file, (int) fileOffset, (int) (fileOffset + size));
        return new GuestImage(manifest, List.of(new GuestImage.Segment(loadAddr, bytes, memSize)), entry);
    }

    private static GuestImage elf32(GuestManifest manifest, byte[] file, ByteBuffer b, String source) {
        if (!ElfImage.looksLikeElf(file)) {
            throw new InvalidGuestException(source + ": Multiboot image is not ELF and its header has no load addresses (flag 16)");
        }
        if (file.length < 52) throw new InvalidGuestException(source + ": ELF header truncated (" + file.length + " bytes)");
        if (file[4] != 1) throw new InvalidGuestException(source + ": Multiboot ELF must be 32-bit (EI_CLASS=" + file[4] + ")");
        if (file[5] != 1) throw new InvalidGuestException(source + ": not a little-endian ELF");
        int type = Short.toUnsignedInt(b.getShort(16));
        int machine = Short.toUnsignedInt(b.getShort(18));
        if (machine != EM_386) throw new InvalidGuestException(source + ": ELF machine " + machine + " is not i386");
        if (type != ET_EXEC) throw new InvalidGuestException(source + ": ELF type " + type + " is not an executable (ET_EXEC)");
        long entry = Integer.toUnsignedLong(b.getInt(24));
        long phoff = Integer.toUnsignedLong(b.getInt(28));
        int phentsize = Short.toUnsignedInt(b.getShort(42));
        int phnum = Short.toUnsignedInt(b.getShort(44));
        if (phentsize < 32) throw new InvalidGuestException(source + ": ELF program header size " + phentsize + " is too small");
        if (phoff > file.length || (long) phentsize * phnum > file.length - phoff) {
            throw new InvalidGuestException(source + ": ELF program headers reach past the end of the file");
        }
        List<GuestImage.Segment> segments = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int ph = (int) (phoff + (long) i * phentsize);
            if (b.getInt(ph) != PT_LOAD) continue;
            long offset = Integer.toUnsignedLong(b.getInt(ph + 4));
            long paddr = Integer.toUnsignedLong(b.getInt(ph + 12));
            long filesz = Integer.toUnsignedLong(b.getInt(ph + 16));
            long memsz = Integer.toUnsignedLong(b.getInt(ph + 20));
            if (offset > file.length || filesz > file.length - offset) {
                throw new InvalidGuestException(source + ": program header " + i + " reaches past the end of the file");
            }
            if (memsz < filesz) throw new InvalidGuestException(source + ": program header " + i + " has p_memsz < p_filesz");
            if (memsz == 0) continue;
            segments.add(new GuestImage.Segment(paddr, Arrays.copyOfRange(file, (int) offset, (int) (offset + filesz)), memsz));
        }
        return new GuestImage(manifest, List.copyOf(segments), entry);
    }
}
