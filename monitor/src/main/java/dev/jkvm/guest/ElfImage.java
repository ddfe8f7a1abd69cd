package dev.jkvm.guest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** Reads the PT_LOAD segments and entry point of a little-endian ELF64 x86-64 executable. */
final class ElfImage {
    private static final int PT_LOAD = 1;
    private static final int EM_X86_64 = 62;
    private static final int ET_EXEC = 2;

    private ElfImage() {}

    static boolean looksLikeElf(byte[] file) {
        return file.length >= 4 && file[0] == 0x7f && file[1] == 'E' && file[2] == 'L' && file[3] == 'F';
    }

    static GuestImage parse(GuestManifest manifest, byte[] file, String source) {
        if (!looksLikeElf(file)) throw new InvalidGuestException(source + ": not an ELF file (no \\x7fELF magic)");
        if (file.length < 64) throw new InvalidGuestException(source + ": ELF header truncated (" + file.length + " bytes)");
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        if (file[4] != 2) throw new InvalidGuestException(source + ": not a 64-bit ELF (EI_CLASS=" + file[4] + ")");
        if (file[5] != 1) throw new InvalidGuestException(source + ": not a little-endian ELF");
        int type = Short.toUnsignedInt(b.getShort(16));
        int machine = Short.toUnsignedInt(b.getShort(18));
        if (machine != EM_X86_64) throw new InvalidGuestException(source + ": ELF machine " + machine + " is not x86-64");
        if (type != ET_EXEC) throw new InvalidGuestException(source + ": ELF type " + type + " is not an executable (ET_EXEC)");
        long entry = b.getLong(24);
        long phoff = b.getLong(32);
        int phentsize = Short.toUnsignedInt(b.getShort(54));
        int phnum = Short.toUnsignedInt(b.getShort(56));
        if (phentsize < 56) throw new InvalidGuestException(source + ": ELF program header size " + phentsize + " is too small");
        // Compare by subtraction: phoff comes from the file and phoff + size could overflow.
        if (phoff < 0 || phoff > file.length || (long) phentsize * phnum > file.length - phoff) {
            throw new InvalidGuestException(source + ": ELF program headers reach past the end of the file");
        }
        List<GuestImage.Segment> segments = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int ph = (int) (phoff + (long) i * phentsize);
            if (b.getInt(ph) != PT_LOAD) continue;
            long offset = b.getLong(ph + 8);
            long paddr = b.getLong(ph + 24);
            long filesz = b.getLong(ph + 32);
            long memsz = b.getLong(ph + 40);
            if (offset < 0 || filesz < 0 || offset > file.length || filesz > file.length - offset) {
                throw new InvalidGuestException(source + ": program header " + i + " reaches past the end of the file");
            }
            if (memsz < filesz) throw new InvalidGuestException(source + ": program header " + i + " has p_memsz < p_filesz");
            byte[] bytes = java.util.Arrays.copyOfRange(file, (int) offset, (int) (offset + filesz));
            segments.add(new GuestImage.Segment(paddr, bytes, memsz));
        }
        return new GuestImage(manifest, List.copyOf(segments), entry);
    }
}
