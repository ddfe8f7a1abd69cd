package dev.jkvm.experiment;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;

/**
 * The gaps read from one guest's ring, in primitive arrays that grow on demand up to a limit fixed
 * when the run starts: 24 bytes an entry, never more than {@code limit} entries, whatever the guest
 * writes. The sampler splits one budget between its rings, so the total is bounded too.
 */
final class GapStore {
    private final int limit;
    private long[] sequence = new long[0];
    private long[] tsc = new long[0];
    private long[] cycles = new long[0];
    private int size;

    GapStore(int limit) {
        if (limit < 0) throw new IllegalArgumentException("limit " + limit);
        this.limit = limit;
    }

    boolean hasRoom() {
        return size < limit;
    }

    void add(long seq, long tscBeforeGap, long gapCycles) {
        if (size == limit) throw new IllegalStateException("gap store full at " + limit + " entries");
        if (size == sequence.length) {
            int grown = (int) Math.min(limit, Math.max(1024, 2L * size));
            sequence = Arrays.copyOf(sequence, grown);
            tsc = Arrays.copyOf(tsc, grown);
            cycles = Arrays.copyOf(cycles, grown);
        }
        sequence[size] = seq;
        tsc[size] = tscBeforeGap;
        cycles[size] = gapCycles;
        size++;
    }

    int size() {
        return size;
    }

    int limit() {
        return limit;
    }

    long sequence(int i) {
        return sequence[i];
    }

    long tsc(int i) {
        return tsc[i];
    }

    long cycles(int i) {
        return cycles[i];
    }

    /** A view as {tsc_before_gap, gap_cycles} pairs (what {@link TscClock#snappedTo} reads), copying nothing up front. */
    List<long[]> asPairs() {
        return new AbstractList<>() {
            @Override
            public long[] get(int i) {
                if (i < 0 || i >= size) throw new IndexOutOfBoundsException(i);
                return new long[] {tsc[i], cycles[i]};
            }

            @Override
            public int size() {
                return size;
            }
        };
    }
}
