package dev.jkvm.jfr.timeline;

import dev.jkvm.util.SuddenExit;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes back-dated events (start time and thread of our choosing) as JFR chunks appended to a
 * finished recording. {@code jdk.jfr.Event} stamps an event with the time and thread of its commit;
 * a chunk of our own sets both, and a .jfr file is a sequence of self-contained chunks, so readers
 * (the JDK's, {@code jfr}, JMC) show these events among the JVM's own.
 *
 * <p>Events are given CLOCK_MONOTONIC nanoseconds (the kernel's clock). The chunk counts in the
 * recording's own ticks, because the JDK's parser converts every chunk's ticks with the first
 * chunk's header; the {@link ClockMapping} measured on the finished recording converts them.
 *
 * <p>Memory stays bounded however long the run: events go to a spill file as they come (through a
 * 64 KiB buffer); the heap holds only the event types and one entry per distinct thread named. The
 * append streams the spill file into chunks of about 8 MiB each.
 * Thread-safe: any thread may commit.
 */
public final class TimelineChunk implements AutoCloseable {
    static final int HEADER_SIZE = 68;
    private static final int SPILL_BUFFER = 64 * 1024;
    /** Event bytes per appended chunk: about the JVM's own chunk size, so readers that sort a chunk stay small. */
    static final long MAX_CHUNK_EVENT_BYTES = 8L << 20;

    private final Path spill;
    private final OutputStream out;
    /** Types by their index; the spill holds indexes, which become type ids once the JVM's ids are known. */
    private final Map<TimelineType, Integer> typeIndexes = new IdentityHashMap<>();
    private final List<TimelineType> types = new ArrayList<>();
    private final Map<Long, TimelineThread> threads = new LinkedHashMap<>();
    private long events;
    private long nextStringKey = 1;
    private IOException failure;
    private boolean closed;

    private TimelineChunk(Path spill) throws IOException {
        this.spill = spill;
        this.out = new BufferedOutputStream(Files.newOutputStream(spill, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                SPILL_BUFFER);
        SuddenExit.deleteOnHalt(spill);
    }

    /** Starts a chunk whose events spill to a new file {@code spill} (deleted on close). */
    public static TimelineChunk open(Path spill) throws IOException {
        return new TimelineChunk(spill);
    }

    /**
     * Begins an event. {@code startNanos} is CLOCK_MONOTONIC; {@code thread} is the thread it is
     * drawn on (null for none). When the recording's settings disable the type, the event is filled
     * and dropped, as {@code jdk.jfr.Event.commit} drops it.
     */
    public synchronized TimelineEvent event(TimelineType type, long startNanos, long durationNanos, TimelineThread thread) {
        Integer index = typeIndexes.get(type);
        if (index == null) {
            index = types.size();
            typeIndexes.put(type, index);
            types.add(type);
        }
        if (thread != null) threads.putIfAbsent(thread.javaThreadId(), thread);
        return new TimelineEvent(type.eventType().isEnabled() ? this : null, type, index, startNanos, durationNanos, thread);
    }

    synchronized void commit(TimelineEvent e) {
        if (closed) throw new IllegalStateException("the timeline chunk is closed");
        if (failure != null) return;
        try {
            e.body.writeSizedTo(out);
        } catch (IOException x) {
            failure = x;
            return;
        }
        events++;
    }

    public synchronized long eventCount() {
        return events;
    }

    /**
     * Appends the events to {@code recording} (a finished .jfr file this JVM wrote: the type ids are this JVM's) as chunks of at most about
     * {@value #MAX_CHUNK_EVENT_BYTES} bytes of events, placed on the recording's time axis with
     * {@code clock}. On failure the file is cut back to its former length, so the recording stays
     * readable. Returns the bytes appended (0 when no event was written).
     */
    public synchronized long appendTo(Path recording, ClockMapping clock) throws IOException {
        if (closed) throw new IllegalStateException("the timeline chunk is closed");
        out.flush();
        if (failure != null) throw new IOException("the timeline spill file " + spill + " could not be written: " + failure.getMessage(), failure);
        if (events == 0) return 0;
        TypeIds ids = TypeIds.live();
        long[] typeIds = new long[types.size()];
        for (int i = 0; i < typeIds.length; i++) typeIds[i] = ids.id(types.get(i).name());
        try (FileChannel ch = FileChannel.open(recording, StandardOpenOption.WRITE);
             FileWindow in = new FileWindow(spill, SPILL_BUFFER, "the timeline spill file " + spill)) {
            long origin = ch.size();
            try {
                long left = events;
                writePoolBarrier(ch, ids, clock);
                while (left > 0) left -= writeChunk(ch, in, left, typeIds, ids, clock);
                ch.force(true);
                return ch.size() - origin;
            } catch (IOException | RuntimeException x) {
                ch.truncate(origin);
                throw x;
            }
        }
    }

    /**
     * Writes one chunk at the channel's end: events from the spill until about
     * {@value #MAX_CHUNK_EVENT_BYTES} bytes or {@code left} events, then the constant pool, the
     * metadata and finally the header, which needs their offsets and the events' time span. Chunks
     * are kept small because the JDK's ordered readers ({@code EventStream}, {@code jfr view}) hold
     * a whole chunk's events in memory to sort them. Returns the events written.
     */
    private long writeChunk(FileChannel ch, FileWindow in, long left, long[] typeIds, TypeIds ids, ClockMapping clock) throws IOException {
        long start = ch.size();
        ch.position(start + HEADER_SIZE);
        OutputStream body = new BufferedOutputStream(Channels.newOutputStream(ch), SPILL_BUFFER);
        Bytes event = new Bytes(256);
        ChunkStrings strings = new ChunkStrings(nextStringKey);
        long written = 0, bytes = 0, first = Long.MAX_VALUE, last = Long.MIN_VALUE;
        while (written < left && bytes < MAX_CHUNK_EVENT_BYTES) {
            long[] span = copyEvent(in, event, typeIds, clock, strings);
            bytes += event.writeSizedTo(body);
            first = Math.min(first, span[0]);
            last = Math.max(last, span[1]);
            written++;
        }
        nextStringKey = strings.nextKey();
        long constantsAt = HEADER_SIZE + bytes;
        Bytes constants = constantPool(ids, first, strings);
        Bytes metadata = ChunkMetadata.event(types, ids, first);
        long metadataAt = constantsAt + constants.writeSizedTo(body);
        long size = metadataAt + metadata.writeSizedTo(body);
        body.flush();
        ch.write(header(size, constantsAt, metadataAt, first, last, clock), start);
        return written;
    }

    /**
     * Writes a chunk without events or constant pools before the first appended one. The JDK's
     * parser takes a constant whose key the previous chunk's pool also held from that pool, without
     * reading the new value (the JVM never reuses a key within a recording). The JVM numbers its
     * pooled strings from 1, as {@link ChunkStrings} does, so the appended chunks' strings must not
     * follow the JVM's last chunk directly; after this chunk the previous pool is empty. The
     * appended chunks' keys never repeat, so they cannot meet each other's either.
     */
    private static void writePoolBarrier(FileChannel ch, TypeIds ids, ClockMapping clock) throws IOException {
        long start = ch.size();
        long at = clock.startTicks(); // a moment of the recording: this chunk widens nothing
        ch.position(start + HEADER_SIZE);
        OutputStream body = new BufferedOutputStream(Channels.newOutputStream(ch), SPILL_BUFFER);
        Bytes constants = new Bytes(16);
        writePoolHeader(constants, at, 0);
        long constantsAt = HEADER_SIZE;
        long metadataAt = constantsAt + constants.writeSizedTo(body);
        long size = metadataAt + ChunkMetadata.barrier(ids, at).writeSizedTo(body);
        body.flush();
        ch.write(header(size, constantsAt, metadataAt, at, at, clock), start);
    }

    /**
     * Re-encodes one spilled event into {@code event}: its type index becomes its type id, and the
     * start, duration and kernel-time fields, spilled as CLOCK_MONOTONIC nanoseconds, become the
     * recording's ticks (known only once the JVM's recording is finished), and strings go to the
     * chunk's pool. Returns its {start, end} in ticks.
     */
    private long[] copyEvent(FileWindow in, Bytes event, long[] typeIds, ClockMapping clock, ChunkStrings strings) throws IOException {
        in.readLong(); // size: the event is re-encoded, its size recomputed
        int index = (int) in.readLong();
        TimelineType type = types.get(index);
        event.clear();
        event.writeLong(typeIds[index]);
        long start = clock.ticks(in.readLong()), duration = clock.ticksOfNanos(in.readLong());
        event.writeLong(start);
        event.writeLong(duration);
        event.writeLong(in.readLong()); // eventThread
        event.writeLong(in.readLong()); // stackTrace
        for (TimelineType.Field f : type.fields()) {
            switch (f.kind()) {
                case KERNEL_TIME -> {
                    long t = in.readLong(); // negative: unknown, which readers show as N/A for Long.MIN_VALUE
                    event.writeLong(t < 0 ? Long.MIN_VALUE : clock.ticks(t));
                }
                case BOOLEAN -> event.writeByte(in.readByte());
                case STRING -> copyString(in, event, strings);
                case INT, LONG, NANOS -> event.writeLong(in.readLong());
            }
        }
        return new long[] {start, start + duration};
    }

    /** A spilled string (null, empty or UTF-8 inline, as {@link Bytes#writeString} wrote it): by key when pooled. */
    private static void copyString(FileWindow in, Bytes to, ChunkStrings strings) throws IOException {
        int encoding = in.readByte();
        if (encoding != 3) {
            to.writeByte(encoding);
            return;
        }
        byte[] utf8 = in.readBytes((int) in.readLong());
        long key = strings.keyOf(utf8);
        if (key >= 0) {
            to.writeByte(ChunkStrings.ENCODING_CONSTANT_POOL);
            to.writeLong(key);
        } else {
            to.writeByte(encoding);
            to.writeInt(utf8.length);
            to.writeBytes(utf8);
        }
    }

    /**
     * A constant-pool event's fields before its pools: type, start, no duration, no link to a
     * previous pool (each appended chunk has one pool event), not a flush, the number of pools.
     */
    private static void writePoolHeader(Bytes b, long startTicks, int pools) {
        b.writeLong(ChunkMetadata.CONSTANT_POOL_TYPE_ID);
        b.writeLong(startTicks);
        b.writeLong(0);
        b.writeLong(0);
        b.writeBoolean(false);
        b.writeInt(pools);
    }

    /**
     * The one constant pool: the threads events were drawn on, keyed by Java thread id as the JVM
     * keys them, and the chunk's strings.
     */
    private Bytes constantPool(TypeIds ids, long startTicks, ChunkStrings strings) {
        Bytes b = new Bytes(256);
        writePoolHeader(b, startTicks, (threads.isEmpty() ? 0 : 1) + (strings.isEmpty() ? 0 : 1));
        if (!strings.isEmpty()) strings.writeTo(b, ids.id("java.lang.String"));
        if (!threads.isEmpty()) {
            b.writeLong(ids.id("java.lang.Thread"));
            b.writeInt(threads.size());
            for (TimelineThread t : threads.values()) {
                b.writeLong(t.javaThreadId());
                b.writeString(t.name()); // osName: the JVM names a Java thread's OS thread after it
                b.writeLong(t.osThreadId());
                b.writeString(t.name());
                b.writeLong(t.javaThreadId());
                b.writeLong(0); // group: none
                b.writeBoolean(false); // virtual
            }
        }
        return b;
    }

    private static ByteBuffer header(long size, long constantsAt, long metadataAt, long startTicks, long endTicks, ClockMapping clock) {
        ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE); // big-endian, as the header is
        h.put(new byte[] {'F', 'L', 'R', 0});
        h.putShort((short) 2).putShort((short) 1);
        h.putLong(size).putLong(constantsAt).putLong(metadataAt);
        // JMC converts ticks with each chunk's own header, the JDK with the first chunk's: both agree
        // when this header is a point of the first chunk's tick line.
        h.putLong(clock.epochNanosOfTicks(startTicks));
        h.putLong(clock.epochNanosOfTicks(endTicks) - clock.epochNanosOfTicks(startTicks));
        h.putLong(startTicks);
        h.putLong(clock.ticksPerSecond());
        h.put((byte) 0); // file state: finished
        h.put((byte) 0);
        h.put((byte) 0);
        h.put((byte) 1); // flags: compressed integers, as the JVM writes them
        return h.flip();
    }

    /** Deletes the spill file. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            out.close();
        } catch (IOException e) {
            // A spill that cannot be flushed (the disk is full) is deleted all the same: nothing will read it now.
        }
        try {
            Files.deleteIfExists(spill);
            SuddenExit.forget(spill);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the timeline spill file " + spill, e);
        }
    }
}
