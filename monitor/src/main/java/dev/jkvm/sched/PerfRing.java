package dev.jkvm.sched;

import dev.jkvm.bindings.generated.perf_event_header;
import dev.jkvm.bindings.generated.perf_event_mmap_page;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The reader's side of a perf ring buffer: a control page (struct perf_event_mmap_page, whose
 * data_head the kernel advances and whose data_tail the reader advances) followed by a power-of-two
 * data area. Hands out every complete record, copying the ones that wrap around the data area's end
 * into a scratch buffer. Works on any segment of that shape, so it is tested on hand-built rings;
 * {@link PerfEvent} gives it the kernel's mapping. Single reader.
 */
final class PerfRing {
    static final long PAGE = 4096;
    private static final long DATA_HEAD = perf_event_mmap_page.data_head$offset();
    private static final long DATA_TAIL = perf_event_mmap_page.data_tail$offset();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    static final int HEADER_SIZE = (int) perf_event_header.layout().byteSize();
    /** perf_event_header.size is a u16: no record is larger. */
    private static final long MAX_RECORD = 1 << 16;
    /**
     * The copy buffer a ring starts with: larger than the records jkvm asks for (a switch record is
     * 32 bytes, a sched_switch tracepoint sample about a hundred). It was MAX_RECORD per ring, 64 KiB of
     * zeroed native memory per vCPU thread for a copy of a few dozen bytes.
     */
    static final long WRAP_BUFFER = 256;

    /** Receives one record; {@code record} holds the whole record (header included) and is valid only during the call. */
    interface RecordConsumer {
        void accept(int type, int misc, MemorySegment record);
    }

    private final String what;
    private final MemorySegment control;
    private final MemorySegment data;
    private final Arena scratch;
    /** Holds a record that wraps around the data area's end; replaced once by a MAX_RECORD one if a larger record wraps. */
    private MemorySegment wrapped;
    /** Whether the last drain found the ring about full ({@link #FULL_SLACK}): the kernel may have dropped what came after its records. */
    private boolean wasFull;
    /**
     * Free space below which a ring counts as full: a few records' worth. The kernel announces the
     * records it dropped only with its next write after space frees, stamped then; a ring found this
     * full says at once that a gap may follow its last record.
     */
    static final long FULL_SLACK = 512;

    /**
     * @param mapping the control page followed by the data area (a power of two of pages)
     * @param scratch where the copy buffer for wrapped records lives
     */
    PerfRing(MemorySegment mapping, Arena scratch, String what) {
        long dataSize = mapping.byteSize() - PAGE;
        if (dataSize <= 0 || Long.bitCount(dataSize) != 1 || dataSize % PAGE != 0) {
            throw new IllegalArgumentException("a perf ring is one control page and a power of two of data pages, not " + mapping.byteSize() + " bytes");
        }
        this.what = what;
        this.control = mapping.asSlice(0, PAGE);
        this.data = mapping.asSlice(PAGE, dataSize);
        this.scratch = scratch;
        this.wrapped = scratch.allocate(WRAP_BUFFER, 8);
    }

    /** Hands every record written since the last drain to {@code consumer}, then frees their space; returns how many. */
    int drain(RecordConsumer consumer) {
        long head = (long) LONG.getAcquire(control, DATA_HEAD);
        long tail = control.get(ValueLayout.JAVA_LONG, DATA_TAIL);
        long size = data.byteSize();
        wasFull = size - (head - tail) < FULL_SLACK;
        int n = 0;
        try {
            while (tail < head) {
                long at = tail & (size - 1);
                MemorySegment header = contiguous(at, HEADER_SIZE, size);
                int type = header.get(ValueLayout.JAVA_INT, perf_event_header.type$offset());
                int misc = Short.toUnsignedInt(header.get(ValueLayout.JAVA_SHORT, perf_event_header.misc$offset()));
                int recordSize = Short.toUnsignedInt(header.get(ValueLayout.JAVA_SHORT, perf_event_header.size$offset()));
                if (recordSize < HEADER_SIZE || tail + recordSize > head) {
                    throw new IllegalStateException("corrupt perf ring of " + what + ": record of " + recordSize + " bytes at "
                            + tail + " with data up to " + head);
                }
                consumer.accept(type, misc, contiguous(at, recordSize, size));
                tail += recordSize;
                n++;
            }
        } finally {
            // Release: the kernel may overwrite what we read only after we are done with it.
            LONG.setRelease(control, DATA_TAIL, tail);
        }
        return n;
    }

    /** Whether the last {@link #drain} found the ring about full, so records after its last one may be lost. */
    boolean wasFull() {
        return wasFull;
    }

    /** The bytes [at, at+length) of the data area as one segment, copying when they wrap around its end. */
    private MemorySegment contiguous(long at, long length, long size) {
        if (at + length <= size) return data.asSlice(at, length);
        long first = size - at;
        // Bounded: at most one more allocation per ring, of the largest size a record can have.
        if (length > wrapped.byteSize()) wrapped = scratch.allocate(MAX_RECORD, 8);
        MemorySegment.copy(data, at, wrapped, 0, first);
        MemorySegment.copy(data, 0, wrapped, first, length - first);
        return wrapped.asSlice(0, length);
    }
}
