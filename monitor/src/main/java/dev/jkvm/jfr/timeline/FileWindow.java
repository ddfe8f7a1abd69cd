package dev.jkvm.jfr.timeline;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file read in JFR's encodings through one window of bytes at any position. Records can be
 * skipped by moving the position without reading them, and no read takes a lock: a
 * {@code BufferedInputStream} locks once per byte, and the end of a run reads its spill file and
 * scans its recording byte by byte in code the JIT has not compiled yet, on the path from a signal
 * to the process's exit. Not thread-safe: one reader owns it.
 */
final class FileWindow implements AutoCloseable {
    private final FileChannel channel;
    private final ByteBuffer window;
    private final String what;
    private long windowStart;
    private long position;

    /** Opens {@code file}; {@code what} names it in the error when it ends before a read. */
    FileWindow(Path file, int bytes, String what) throws IOException {
        this.channel = FileChannel.open(file, StandardOpenOption.READ);
        this.window = ByteBuffer.allocate(bytes);
        this.what = what;
        window.limit(0);
    }

    long position() {
        return position;
    }

    int readByte() throws IOException {
        long offset = position - windowStart;
        if (offset < 0 || offset >= window.limit()) {
            window.clear();
            windowStart = position;
            while (window.hasRemaining() && channel.read(window, windowStart + window.position()) > 0) {
                // until the window is full or the file ends
            }
            window.flip();
            if (window.limit() == 0) throw new EOFException(what + " ends at byte " + position);
            offset = 0;
        }
        position++;
        return window.get((int) offset) & 0xFF;
    }

    /** A big-endian integer of {@code bytes} bytes, as a chunk header holds them. */
    long readRaw(int bytes) throws IOException {
        long v = 0;
        for (int i = 0; i < bytes; i++) v = v << 8 | readByte();
        return v;
    }

    /** A compressed long: 7 bits a byte for eight bytes, then the top 8 bits whole (as {@link Bytes#writeLong} writes it). */
    long readLong() throws IOException {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            int b = readByte();
            v |= (long) (b & 0x7F) << (7 * i);
            if (b < 0x80) return v;
        }
        return v | (long) readByte() << 56;
    }

    byte[] readBytes(int n) throws IOException {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) readByte();
        return b;
    }

    /** Moves forward to {@code target}, skipping what lies between unread. */
    void skipTo(long target) throws IOException {
        if (target < position) throw new IOException(what + ": record overrun at byte " + position + " (ends at " + target + ")");
        position = target;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
