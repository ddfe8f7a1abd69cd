package dev.jkvm.analysis;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Checks that a file is a whole JFR recording before it is streamed: chunks one after another from
 * the first byte, each starting with the magic "FLR\0" and a header whose size reaches no further
 * than the file. The JDK's {@code EventStream} ends quietly where a file breaks off (it treats that
 * like a recording still being written), so without this check a truncated recording — a run that
 * was killed, a copy cut short — would be analyzed as if it ended there.
 */
final class ChunkLayout {
    /** The chunk header: magic (4), major and minor version (2 + 2), chunk size in bytes including the header (8). */
    private static final int HEADER_PREFIX = 16;
    private static final int MAGIC = 0x464C5200; // "FLR\0"

    private ChunkLayout() {}

    /** Returns the number of chunks, or throws a {@link BadRecordingException} naming what is wrong. */
    static int check(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer header = ByteBuffer.allocate(HEADER_PREFIX);
            long at = 0;
            int chunks = 0;
            while (at < size) {
                header.clear();
                while (header.hasRemaining() && ch.read(header, at + header.position()) > 0) {
                    // a short read of a regular file only happens at its end
                }
                if (header.hasRemaining() || header.getInt(0) != MAGIC) {
                    throw new BadRecordingException(file + (chunks == 0 ? " is not a JFR recording (no JFR chunk header at its start)"
                            : " is not a whole JFR recording: after " + chunks + " chunks, byte " + at + " starts no chunk"));
                }
                long chunkSize = header.getLong(8);
                if (chunkSize < HEADER_PREFIX || chunkSize > size - at) {
                    throw new BadRecordingException(file + " is truncated: its chunk " + (chunks + 1) + " at byte " + at + " has " + chunkSize
                            + " bytes, the file ends " + (size - at) + " bytes after its start (was the recording cut short?)");
                }
                at += chunkSize;
                chunks++;
            }
            if (chunks == 0) throw new BadRecordingException(file + " is not a JFR recording (it is empty)");
            return chunks;
        } catch (NoSuchFileException e) {
            throw new BadRecordingException("no such recording: " + file);
        } catch (IOException e) {
            throw BadRecordingException.unreadable(file, e);
        }
    }
}
