package dev.jkvm.experiment;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reads one guest-published gap ring (the tsc-probe contract, guests/README.md) out of guest RAM.
 * Everything in the ring is written by the guest, so everything is input: the header's capacity and
 * write count are checked against the VM's memory and against fixed limits before they drive a loop,
 * one poll reads at most {@link #MAX_CAPACITY} entries, and entries go into a {@link GapStore} whose
 * size is fixed in advance. A hostile guest can make the reader drop entries, never allocate.
 *
 * <p>Layout: u64 magic "TSCPROBE", threshold, capacity, write_count, iterations, latest_tsc,
 * reserved ×2, then capacity × 16-byte entries {tsc_before_gap, gap_cycles} from +0x40.
 */
final class PublishedRing {
    static final long MAGIC = 0x45424f5250435354L; // "TSCPROBE" read as a little-endian u64
    static final long HEADER_BYTES = 0x40;
    static final long ENTRY_BYTES = 16;
    /** The most entries a ring may declare: 16× what tsc-probe uses, 1 MiB of guest RAM. */
    static final long MAX_CAPACITY = 1L << 16;

    private final String vm;
    private final MemorySegment memory;
    private final long base;
    private long read;
    private long missed;
    private long dropped;
    private long badHeaders;
    private String problem;

    /** @param memory the VM's RAM, guest physical address = offset */
    PublishedRing(String vm, MemorySegment memory, long base) {
        String bad = placementProblem(base, memory.byteSize());
        if (bad != null) throw new IllegalArgumentException(vm + ": " + bad);
        this.vm = vm;
        this.memory = memory;
        this.base = base;
    }

    /** Null when a ring header at {@code base} lies inside {@code memorySize} bytes of RAM, else why not. */
    static String placementProblem(long base, long memorySize) {
        if (base < 0 || base % 8 != 0) return String.format("tsc-ring 0x%x is not an 8-byte aligned guest address", base);
        if (base > memorySize - HEADER_BYTES) {
            return String.format("tsc-ring 0x%x: its %d-byte header does not fit into %d KiB of guest memory",
                    base, HEADER_BYTES, memorySize >> 10);
        }
        return null;
    }

    String vm() {
        return vm;
    }

    /** True once the guest has written the magic: before that the ring holds nothing of the guest's. */
    boolean alive() {
        return word(0) == MAGIC;
    }

    /** The guest's latest TSC (header +40). */
    long latestTsc() {
        return word(40);
    }

    /**
     * Copies the entries written since the last poll into {@code store} and returns how many were
     * copied. A header that makes no sense (capacity outside 1..{@link #MAX_CAPACITY}, entries past
     * the end of RAM, a count that went backwards) copies nothing and is counted in {@link #badHeaders}.
     */
    int poll(GapStore store) {
        if (!alive()) return 0;
        long capacity = word(16);
        long written = word(24);
        String bad = headerProblem(capacity, written);
        if (bad != null) {
            badHeaders++;
            problem = bad;
            if (written >= 0 && written < read) read = written; // a guest that restarted its ring
            return 0;
        }
        if (written - read > capacity) { // the guest overwrote entries before we got to them
            missed = saturatingAdd(missed, written - read - capacity);
            read = written - capacity;
        }
        int copied = 0;
        for (; read < written; read++) {
            if (!store.hasRoom()) {
                dropped = saturatingAdd(dropped, written - read);
                read = written;
                break;
            }
            long at = base + HEADER_BYTES + (read % capacity) * ENTRY_BYTES;
            store.add(read, word(at - base), word(at - base + 8));
            copied++;
        }
        return copied;
    }

    private String headerProblem(long capacity, long written) {
        if (capacity <= 0 || capacity > MAX_CAPACITY) return "capacity " + capacity + " outside 1.." + MAX_CAPACITY;
        if (capacity * ENTRY_BYTES > memory.byteSize() - base - HEADER_BYTES) {
            return String.format("%d entries at 0x%x reach past the end of guest memory", capacity, base + HEADER_BYTES);
        }
        if (written < read) return "write count went back from " + read + " to " + written;
        return null;
    }

    /** Counts a guest drives (it can rewind and replay huge counts) stop at Long.MAX_VALUE instead of wrapping. */
    private static long saturatingAdd(long a, long b) {
        long sum = a + b;
        return sum < a ? Long.MAX_VALUE : sum;
    }

    private long word(long offset) {
        return memory.get(ValueLayout.JAVA_LONG_UNALIGNED, base + offset);
    }

    /** Entries the guest overwrote before they were read. */
    long missed() {
        return missed;
    }

    /** Entries not kept because the store was full. */
    long dropped() {
        return dropped;
    }

    /** Polls that found a header jkvm would not follow. */
    long badHeaders() {
        return badHeaders;
    }

    /** The last header problem seen, or null. */
    String problem() {
        return problem;
    }
}
