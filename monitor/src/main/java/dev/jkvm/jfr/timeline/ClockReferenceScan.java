package dev.jkvm.jfr.timeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import jdk.jfr.EventType;
import jdk.jfr.ValueDescriptor;

/**
 * Finds the {@link ClockReference} events of a recording this JVM wrote by walking its records
 * (size, type id) instead of parsing it: the JDK's parser reads every chunk's metadata and constant
 * pools and every event before it hands over the few references, 185–330 ms of the write after a
 * SIGTERM to 256 VMs (2026-11-26). The reference's type id and field order are the running JVM's
 * (the JVM writes its recordings with them), and its start time is converted with the first chunk's
 * header, as the JDK's parser converts every chunk of a file, so the values are the parser's.
 */
final class ClockReferenceScan {
    private static final int MAGIC = 0x464C5200; // "FLR\0"
    private static final long HEADER_SIZE = 68;
    /** Field types written as one compressed integer: numbers and constant-pool references. */
    private static final Set<String> VARINT_TYPES = Set.of("long", "int", "short", "byte", "char", "boolean",
            "java.lang.Thread", "jdk.types.StackTrace");
    private static final int BUFFER = 256 * 1024;

    /** One reference: the epoch nanoseconds the parser gives its start, and the two CLOCK_MONOTONIC readings. */
    record Reference(long epochNanos, long monotonicBefore, long monotonicAfter) {}

    /** The first chunk's clock (the one the parser converts every chunk's ticks with) and the references. */
    record Result(long startNanos, long startTicks, long ticksPerSecond, List<Reference> references) {}

    private ClockReferenceScan() {}

    /** The first chunk's clock and every reference in {@code recording}'s chunks, in file order. */
    static Result read(Path recording) throws IOException {
        EventType type = EventType.getEventType(ClockReference.class);
        List<ValueDescriptor> fields = type.getFields();
        int start = -1, before = -1, after = -1;
        for (int i = 0; i < fields.size(); i++) {
            ValueDescriptor f = fields.get(i);
            if (!VARINT_TYPES.contains(f.getTypeName())) {
                throw new IllegalStateException(type.getName() + " field " + f.getName() + " has type " + f.getTypeName()
                        + ", which this scan does not decode");
            }
            switch (f.getName()) {
                case "startTime" -> start = i;
                case "monotonicBefore" -> before = i;
                case "monotonicAfter" -> after = i;
                default -> { }
            }
        }
        if (start < 0 || before < 0 || after < 0) throw new IllegalStateException(type.getName() + " lacks a field it needs: " + fields);
        long id = type.getId();
        long fileSize = Files.size(recording);
        if (fileSize < HEADER_SIZE) throw new IOException(recording + " is not a JFR recording (" + fileSize + " bytes, shorter than a chunk header)");
        List<Reference> refs = new ArrayList<>();
        try (FileWindow in = new FileWindow(recording, BUFFER, "the recording " + recording)) {
            long[] values = new long[fields.size()];
            long startNanos = 0, startTicks = 0, firstTicksPerSecond = 0;
            double divisor = 0;
            while (fileSize - in.position() >= HEADER_SIZE) {
                long chunkStart = in.position();
                if (in.readRaw(4) != MAGIC) {
                    throw new IOException(chunkStart == 0 ? recording + " is not a JFR recording (no FLR magic)"
                            : recording + ": no chunk magic at byte " + chunkStart);
                }
                in.skipTo(chunkStart + 8); // past the version
                long chunkSize = in.readRaw(8);
                in.skipTo(chunkStart + 32); // past the constant pool and metadata offsets
                long chunkStartNanos = in.readRaw(8);
                in.skipTo(chunkStart + 48); // past the duration
                long chunkStartTicks = in.readRaw(8);
                long ticksPerSecond = in.readRaw(8);
                in.skipTo(chunkStart + HEADER_SIZE); // past the features: the first record
                if (chunkStart == 0) {
                    // The parser's conversion (jdk.jfr.internal.consumer.TimeConverter), the first chunk's for
                    // every chunk of a file: a whole ticks-per-nanosecond divisor.
                    startNanos = chunkStartNanos;
                    startTicks = chunkStartTicks;
                    firstTicksPerSecond = ticksPerSecond;
                    divisor = ticksPerSecond / 1_000_000_000L;
                    if (divisor == 0) throw new IOException(recording + ": " + ticksPerSecond + " ticks per second, fewer than the parser reads");
                }
                long chunkEnd = chunkStart + chunkSize;
                if (chunkSize < HEADER_SIZE || chunkEnd > fileSize) {
                    throw new IOException(recording + ": chunk at byte " + chunkStart + " claims " + chunkSize + " bytes of " + fileSize);
                }
                while (in.position() < chunkEnd) {
                    long record = in.position();
                    long size = in.readLong();
                    if (size <= 0 || record + size > chunkEnd) throw new IOException(recording + ": record at byte " + record + " has size " + size);
                    if (in.readLong() == id) {
                        for (int i = 0; i < values.length; i++) values[i] = in.readLong();
                        refs.add(new Reference(startNanos + (long) ((values[start] - startTicks) / divisor), values[before], values[after]));
                    }
                    in.skipTo(record + size);
                }
            }
            return new Result(startNanos, startTicks, firstTicksPerSecond, refs);
        }
    }
}
