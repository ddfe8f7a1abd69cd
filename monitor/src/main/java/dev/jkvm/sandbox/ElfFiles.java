package dev.jkvm.sandbox;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The two facts about ELF files the sandbox needs: is it statically linked, and is it whole. */
final class ElfFiles {
    private static final int PT_INTERP = 3;

    private ElfFiles() {}

    /**
     * True for a 64-bit little-endian ELF without a PT_INTERP program header: it runs in an
     * initramfs that has no dynamic loader or libc.
     */
    static boolean isStaticExecutable(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer h = header(ch);
            if (h == null) return false;
            long phoff = h.getLong(32);
            int phentsize = Short.toUnsignedInt(h.getShort(54));
            int phnum = Short.toUnsignedInt(h.getShort(56));
            if (phentsize < 4) return false;
            for (int i = 0; i < phnum; i++) {
                ByteBuffer ph = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
                if (ch.read(ph, phoff + (long) i * phentsize) != 4) return false;
                if (ph.getInt(0) == PT_INTERP) return false;
            }
            return phnum > 0;
        }
    }

    /**
     * True for a 64-bit little-endian ELF whose section header table (the last thing a linker
     * writes) lies inside the file: a decompressed kernel that stopped short fails this.
     */
    static boolean isComplete(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer h = header(ch);
            if (h == null) return false;
            long shoff = h.getLong(40);
            int shentsize = Short.toUnsignedInt(h.getShort(58));
            int shnum = Short.toUnsignedInt(h.getShort(60));
            return shoff > 0 && shoff + (long) shentsize * shnum <= ch.size();
        }
    }

    private static ByteBuffer header(FileChannel ch) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        if (ch.read(h, 0) != 64) return null;
        // \x7fELF, ELFCLASS64, ELFDATA2LSB
        if (h.getInt(0) != 0x464C457F || h.get(4) != 2 || h.get(5) != 1) return null;
        return h;
    }
}
