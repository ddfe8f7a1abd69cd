package dev.jkvm.jfr.timeline;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable byte buffer that encodes values the way a JFR chunk (format 2.x, compressed integers)
 * does, so the JDK's and JMC's parsers read them: integers as LEB128 whose ninth byte holds a full
 * 8 bits, strings as an encoding byte followed by their UTF-8 bytes.
 */
final class Bytes {
    private static final int STRING_NULL = 0, STRING_EMPTY = 1, STRING_UTF8 = 3;

    private byte[] data;
    private int size;

    Bytes(int capacity) {
        data = new byte[capacity];
    }

    int size() {
        return size;
    }

    void clear() {
        size = 0;
    }

    void writeByte(int b) {
        if (size == data.length) data = Arrays.copyOf(data, size * 2);
        data[size++] = (byte) b;
    }

    void writeBytes(byte[] b) {
        if (size + b.length > data.length) data = Arrays.copyOf(data, Math.max(size * 2, size + b.length));
        System.arraycopy(b, 0, data, size, b.length);
        size += b.length;
    }

    void writeBoolean(boolean v) {
        writeByte(v ? 1 : 0);
    }

    /** A long as JFR compresses it: 7 bits a byte for eight bytes, then the top 8 bits whole. */
    void writeLong(long v) {
        for (int i = 0; i < 8; i++) {
            if ((v & ~0x7FL) == 0) {
                writeByte((int) v);
                return;
            }
            writeByte((int) (v & 0x7F) | 0x80);
            v >>>= 7;
        }
        writeByte((int) v);
    }

    /** An int zero-extended, so a reader that reads ints as at most five bytes gets it back (also when negative). */
    void writeInt(int v) {
        writeLong(v & 0xFFFF_FFFFL);
    }

    void writeString(String s) {
        if (s == null) {
            writeByte(STRING_NULL);
        } else if (s.isEmpty()) {
            writeByte(STRING_EMPTY);
        } else {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            writeByte(STRING_UTF8);
            writeInt(utf8.length);
            writeBytes(utf8);
        }
    }

    /** How many bytes {@link #writeLong} takes for {@code v}. */
    static int longSize(long v) {
        int n = 1;
        while (n < 9 && (v & ~0x7FL) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    /**
     * Writes this buffer as one chunk-level record: its total size (which counts the size field
     * itself, as every JFR event does) and then the bytes. Returns the bytes written.
     */
    int writeSizedTo(OutputStream out) throws IOException {
        int sizeBytes = 1;
        while (longSize(size + sizeBytes) > sizeBytes) sizeBytes++;
        Bytes prefix = new Bytes(9);
        prefix.writeLong(size + sizeBytes);
        out.write(prefix.data, 0, prefix.size);
        out.write(data, 0, size);
        return prefix.size + size;
    }
}
