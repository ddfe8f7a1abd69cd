package dev.jkvm.jfr;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The complete chunks at the start of a .jfr file. A recording is a sequence of self-contained
 * chunks, each starting with a header that holds its size, so a file whose write stopped part-way
 * (a full disk) is readable once cut back to the chunks that were written whole: every reader then
 * shows exactly the events of those chunks. Header layout (big-endian): "FLR\0", major u16, minor
 * u16, chunk size i64, constant pool offset i64, metadata offset i64, start (epoch ns) i64,
 * duration (ns) i64, ...
 */
public final class JfrChunks {
    private static final int MAGIC = 0x464c5200; // "FLR\0"
    private static final int HEADER_BYTES = 68;

    private JfrChunks() {}

    /** The complete chunks found: how many, their bytes from the file's start, and when the last one ends (epoch ns; 0 when none). */
    public record Complete(int chunks, long bytes, long endEpochNanos) {}

    /** Walks the chunk headers of {@code file} from its start and stops at the first chunk that is not whole. */
    public static Complete scan(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return scan(ch);
        }
    }

    /** Cuts {@code file} back to its complete chunks and says what is left. */
    public static Complete keepComplete(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Complete c = scan(ch);
            ch.truncate(c.bytes());
            return c;
        }
    }

    private static Complete scan(FileChannel ch) throws IOException {
        long size = ch.size(), at = 0, end = 0;
        int chunks = 0;
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        while (at + HEADER_BYTES <= size) {
            header.clear();
            while (header.hasRemaining() && ch.read(header, at + header.position()) > 0) {
                // read the whole header
            }
            if (header.hasRemaining() || header.getInt(0) != MAGIC) break;
            long chunkSize = header.getLong(8);
            long constants = header.getLong(16), metadata = header.getLong(24);
            // A chunk is whole when its size fits in the file and its parts lie inside it
            // (a chunk the JVM never finished has a zero size or offsets beyond it).
            if (chunkSize < HEADER_BYTES || chunkSize > size - at) break;
            if (constants < HEADER_BYTES || constants >= chunkSize || metadata < HEADER_BYTES || metadata >= chunkSize) break;
            at += chunkSize;
            chunks++;
            end = header.getLong(32) + header.getLong(40);
        }
        return new Complete(chunks, at, end);
    }
}
