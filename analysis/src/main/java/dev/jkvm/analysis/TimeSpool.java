package dev.jkvm.analysis;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.LongConsumer;

/**
 * Puts timed records into kernel-time order in bounded memory, whatever order they arrive in: a
 * recording's events are ordered by commit, by chunk or by type, not by the moment they describe.
 * Each record is one long — time, kind, lane — so sorting the longs sorts by time, then kind (so at
 * one instant a sched-out comes before a sched-in), then lane. Records fill an in-memory buffer;
 * a full buffer is sorted and written to a temporary file as a run, and the runs are merged at the
 * end (an external merge sort). Memory: the buffer (8 bytes a record) plus 64 KiB per run read.
 */
public final class TimeSpool implements AutoCloseable {
    public static final int KIND_BITS = 4;
    public static final int LANE_BITS = 12;
    public static final int MAX_LANES = 1 << LANE_BITS;
    private static final int TIME_BITS = 63 - KIND_BITS - LANE_BITS;
    /** Times are stored relative to the first one, shifted so earlier times stay positive. */
    private static final long HALF_RANGE = 1L << (TIME_BITS - 1);

    private final long[] buffer;
    private final List<Path> runs = new ArrayList<>();
    private int size;
    private long count;
    private long base = Long.MIN_VALUE;
    private long first = Long.MAX_VALUE, last = Long.MIN_VALUE;

    public TimeSpool(int bufferRecords) {
        this.buffer = new long[bufferRecords];
    }

    /** Adds a record; times more than 19 hours either side of the first record's are refused. */
    public void add(long time, int kind, int lane) {
        if (base == Long.MIN_VALUE) base = time;
        long rel = time - base + HALF_RANGE;
        if (rel < 0 || rel >= 2 * HALF_RANGE) {
            throw new BadRecordingException("kernel times " + base + " and " + time + " ns are more than 19 hours apart");
        }
        first = Math.min(first, time);
        last = Math.max(last, time);
        if (size == buffer.length) spill();
        buffer[size++] = (rel << (KIND_BITS + LANE_BITS)) | ((long) kind << LANE_BITS) | lane;
        count++;
    }

    public long count() {
        return count;
    }

    /** The earliest and latest time added (Long.MAX_VALUE / MIN_VALUE when empty). */
    public long firstTime() {
        return first;
    }

    public long lastTime() {
        return last;
    }

    /** Runs written to disk so far (0 while everything fits the buffer). */
    public int spilledRuns() {
        return runs.size();
    }

    public long time(long record) {
        return (record >>> (KIND_BITS + LANE_BITS)) - HALF_RANGE + base;
    }

    public static int kind(long record) {
        return (int) (record >>> LANE_BITS) & ((1 << KIND_BITS) - 1);
    }

    public static int lane(long record) {
        return (int) record & (MAX_LANES - 1);
    }

    private void spill() {
        Arrays.sort(buffer, 0, size);
        try {
            Path run = Files.createTempFile("jkvm-analysis-", ".run");
            run.toFile().deleteOnExit();
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(run), 1 << 16))) {
                for (int i = 0; i < size; i++) out.writeLong(buffer[i]);
            }
            runs.add(run);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a sort run to the temporary directory", e);
        }
        size = 0;
    }

    /** Hands every record to the consumer in order; call once, after the last add. */
    public void drain(LongConsumer consumer) {
        Arrays.sort(buffer, 0, size);
        if (runs.isEmpty()) {
            for (int i = 0; i < size; i++) consumer.accept(buffer[i]);
            return;
        }
        record Cursor(long head, int source) {}
        List<DataInputStream> inputs = new ArrayList<>();
        try {
            PriorityQueue<Cursor> heap = new PriorityQueue<>((a, b) -> Long.compare(a.head, b.head));
            for (Path run : runs) {
                DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(run), 1 << 16));
                inputs.add(in);
                heap.add(new Cursor(in.readLong(), inputs.size() - 1));
            }
            int memoryIndex = 0;
            while (!heap.isEmpty() || memoryIndex < size) {
                Cursor c = heap.peek();
                if (c == null || (memoryIndex < size && buffer[memoryIndex] <= c.head)) {
                    consumer.accept(buffer[memoryIndex++]);
                    continue;
                }
                heap.poll();
                consumer.accept(c.head);
                try {
                    heap.add(new Cursor(inputs.get(c.source).readLong(), c.source));
                } catch (EOFException end) {
                    // This run is used up.
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read a sort run back", e);
        } finally {
            for (DataInputStream in : inputs) {
                try {
                    in.close();
                } catch (IOException ignored) {
                    // Closing a read-only temporary file cannot lose data.
                }
            }
        }
    }

    @Override
    public void close() {
        for (Path run : runs) {
            try {
                Files.deleteIfExists(run);
            } catch (IOException ignored) {
                // deleteOnExit is the fallback.
            }
        }
        runs.clear();
    }
}
