package dev.jkvm.sched;

import dev.jkvm.bindings.Syscalls;
import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.bindings.generated.perf_event_attr;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Owner of one perf event fd and its mmap'd ring buffer ({@link PerfRing} reads it). Single reader:
 * only the recorder thread drains, and {@link #close} must come after that thread has stopped.
 */
public final class PerfEvent implements AutoCloseable {
    private final int fd;
    private final String what;
    private final MemorySegment mapping;
    private final PerfRing ring;
    // Scratch memory (a few KiB) freed by the GC with its owner: closing a shared arena is a handshake
    // with every Java thread, which for the 256 perf rings and 256 vCPUs closed after a 256-VM run took
    // about 0.5 s of waiting (2026-11-26). Nothing here is reached after close: the fd and mapping are.
    private final Arena scratch = Arena.ofAuto();
    private boolean closed;

    private PerfEvent(int fd, String what, int dataPages) {
        this.fd = fd;
        this.what = what;
        MemorySegment m;
        try {
            m = Syscalls.mmap((1 + dataPages) * PerfRing.PAGE, LinuxHeaders.PROT_READ() | LinuxHeaders.PROT_WRITE(),
                    LinuxHeaders.MAP_SHARED(), fd, 0, "perf ring of " + what);
        } catch (RuntimeException e) {
            Syscalls.close(fd, "perf event " + what);
            throw e;
        }
        this.mapping = m;
        this.ring = new PerfRing(m, scratch, what);
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
    int drain(PerfRing.RecordConsumer consumer) {
        return ring.drain(consumer);
    }

    /** Whether the last drain found the ring about full (see {@link PerfRing#wasFull}). */
    boolean ringWasFull() {
        return ring.wasFull();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            Syscalls.munmap(mapping, "perf ring of " + what);
        } finally {
            Syscalls.close(fd, "perf event " + what);
        }
    }
}
