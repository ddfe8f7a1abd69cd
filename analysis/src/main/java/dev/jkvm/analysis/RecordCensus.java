package dev.jkvm.analysis;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Counts a recording's events of some types by walking its records, without decoding them: each
 * chunk holds, after its 68-byte header, records one after another, each starting with its size
 * and its type id (compressed integers, as every JVM since JDK 11 writes them, or fixed-width ones).
 *
 * <p>Why: the JDK's {@code EventStream} ends quietly at bytes it cannot parse (the parser's
 * IOException is swallowed, as at the end of a file still being written), so a recording damaged
 * inside a chunk would be analyzed as if it ended there. The analysis compares what the stream
 * handed over with this count. A record whose size leaves its chunk, or is too small to hold its
 * own header, is damage this walk finds itself.
 */
final class RecordCensus {
    private static final int HEADER_SIZE = 68;
    private static final int BUFFER = 1 << 16;

    private RecordCensus() {}

    /** The number of records in {@code file} of each type id in {@code typeIds}; throws {@link BadRecordingException} on damage. */
    static Map<Long, Long> count(Path file, Set<Long> typeIds) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Reader in = new Reader(ch);
            long size = ch.size();
            Map<Long, Long> counted = new HashMap<>();
            int chunk = 0;
            for (long start = 0; start < size; ) {
                chunk++;
                long chunkSize = in.headerLong(start + 8);
                boolean compressed = (in.headerByte(start + 67) & 1) != 0;
                long end = start + chunkSize;
                for (long at = start + HEADER_SIZE; at < end; ) {
                    in.seek(at);
                    long recordSize = compressed ? in.varLong() : in.int32();
                    long typeId = compressed ? in.varLong() : in.int64();
                    if (recordSize < in.position() - at || recordSize > end - at) {
                        throw new BadRecordingException(file + " is corrupt: the record at byte " + at + " (in chunk " + chunk + ")"
                                + " claims " + recordSize + " bytes, " + (recordSize > end - at ? "beyond the chunk's end" : "fewer than its own header"));
                    }
                    if (typeIds.contains(typeId)) counted.merge(typeId, 1L, Long::sum);
                    at += recordSize;
                }
                start = end;
            }
            return counted;
        } catch (IOException e) {
            throw BadRecordingException.unreadable(file, e);
        }
    }

    /** Reads from a channel through one buffer; a record's header is a few bytes at a time. */
    private static final class Reader {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(BUFFER);
        private long bufStart = -1;
        private long position;

        Reader(FileChannel ch) {
            this.ch = ch;
        }

        void seek(long at) {
            position = at;
        }

        long position() {
            return position;
        }

        long headerLong(long at) throws IOException {
            seek(at);
            long v = 0;
            for (int i = 0; i < 8; i++) v = v << 8 | next();
            return v;
        }

        int headerByte(long at) throws IOException {
            seek(at);
            return next();
        }

        /** LEB128, at most 9 bytes (the ninth carries 8 bits). */
        long varLong() throws IOException {
            long v = 0;
            for (int shift = 0; shift < 56; shift += 7) {
                int b = next();
                v |= (long) (b & 0x7f) << shift;
                if (b < 0x80) return v;
            }
            return v | (long) next() << 56;
        }

        long int32() throws IOException {
            long v = 0;
            for (int i = 0; i < 4; i++) v = v << 8 | next();
            return v;
        }

        long int64() throws IOException {
            long v = 0;
            for (int i = 0; i < 8; i++) v = v << 8 | next();
            return v;
        }

        private int next() throws IOException {
            if (bufStart < 0 || position < bufStart || position >= bufStart + buf.limit()) {
                buf.clear();
                bufStart = position;
                while (buf.hasRemaining() && ch.read(buf, bufStart + buf.position()) > 0) {
                    // fill as much as the file has
                }
                buf.flip();
                if (!buf.hasRemaining()) throw new IOException("unexpected end of file at byte " + position);
            }
            return buf.get((int) (position++ - bufStart)) & 0xff;
        }
    }
}
