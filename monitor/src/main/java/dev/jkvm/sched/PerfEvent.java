package dev.jkvm.sched;

import dev.jkvm.bindings.Syscalls;
import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.bindings.generated.perf_event_attr;
import dev.jkvm.bindings.generated.perf_event_header;
import dev.jkvm.bindings.generated.perf_event_mmap_page;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Owner of one perf event fd and its mmap'd ring buffer. {@link #drain} hands every complete record
 * to a consumer (copying the ones that wrap around the ring's end) and then frees the space.
 * Single reader: only the recorder thread drains.
 */
public final class PerfEvent implements AutoCloseable {
    private static final long PAGE = 4096;
    private static final long DATA_HEAD = perf_event_mmap_page.data_head$offset();
    private static final long DATA_TAIL = perf_event_mmap_page.data_tail$offset();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final int HEADER_SIZE = (int) perf_event_header.layout().byteSize();
    private static final long MAX_RECORD = 1 << 16;

    /** Receives one record; {@code record} holds the whole record (header included) and is valid only during the call. */
    public interface RecordConsumer {
        void accept(int type, int misc, MemorySegment record);
    }

    private final int fd;
    private final String what;
    private final MemorySegment mapping;
    private final MemorySegment data;
    private final MemorySegment wrapped;
    private final Arena scratch = Arena.ofShared();
    private boolean closed;

    private PerfEvent(int fd, String what, int dataPages) {
        this.fd = fd;
        this.what = what;
        MemorySegment m;
        try {
            m = Syscalls.mmap((1 + dataPages) * PAGE, LinuxHeaders.PROT_READ() | LinuxHeaders.PROT_WRITE(),
                    LinuxHeaders.MAP_SHARED(), fd, 0, "perf ring of " + what);
        } catch (RuntimeException e) {
            Syscalls.close(fd, "perf event " + what);
            throw e;
        }
        this.mapping = m;
        this.data = m.asSlice(PAGE, dataPages * PAGE);
        this.wrapped = scratch.allocate(MAX_RECORD, 8);
    }

    /**
     * Opens an event described by {@code attr} (a struct perf_event_attr) for thread {@code tid}
     * (or -1 for all) on {@code cpu} (or -1 for any), with a ring of {@code dataPages} pages (a power of two).
     */
    public static PerfEvent open(MemorySegment attr, int tid, int cpu, int dataPages, String what) {
        if (Integer.bitCount(dataPages) != 1) throw new IllegalArgumentException("ring pages must be a power of two: " + dataPages);
        perf_event_attr.size(attr, (int) perf_event_attr.layout().byteSize());
        int fd = Syscalls.perfEventOpen(attr, tid, cpu, -1, what);
        return new PerfEvent(fd, what, dataPages);
    }

    public String what() {
        return what;
    }

    /** Hands every record written since the last drain to {@code consumer}; returns how many. */
    public int drain(RecordConsumer consumer) {
        long head = (long) LONG.getAcquire(mapping, DATA_HEAD);
        long tail = mapping.get(ValueLayout.JAVA_LONG, DATA_TAIL);
        long size = data.byteSize();
        int n = 0;
        while (tail < head) {
            long at = tail & (size - 1);
            MemorySegment header = contiguous(at, HEADER_SIZE, size);
            int type = header.get(ValueLayout.JAVA_INT, perf_event_header.type$offset());
            int misc = Short.toUnsignedInt(header.get(ValueLayout.JAVA_SHORT, perf_event_header.misc$offset()));
            int recordSize = Short.toUnsignedInt(header.get(ValueLayout.JAVA_SHORT, perf_event_header.size$offset()));
            if (recordSize < HEADER_SIZE) {
                throw new IllegalStateException("corrupt perf ring of " + what + ": record of " + recordSize + " bytes");
            }
            consumer.accept(type, misc, contiguous(at, recordSize, size));
            tail += recordSize;
            n++;
        }
        // Release: the kernel may overwrite what we read only after we are done with it.
        LONG.setRelease(mapping, DATA_TAIL, tail);
        return n;
    }

    /** The bytes [at, at+length) of the ring as one segment, copying when they wrap around its end. */
    private MemorySegment contiguous(long at, long length, long size) {
        if (at + length <= size) return data.asSlice(at, length);
        long first = size - at;
        MemorySegment.copy(data, at, wrapped, 0, first);
        MemorySegment.copy(data, 0, wrapped, first, length - first);
        return wrapped.asSlice(0, length);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            Syscalls.munmap(mapping, "perf ring of " + what);
        } finally {
            try {
                Syscalls.close(fd, "perf event " + what);
            } finally {
                scratch.close();
            }
        }
    }
}
