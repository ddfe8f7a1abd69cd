package dev.jkvm.experiment;

import java.util.Arrays;

/**
 * Entries a sampler read from a guest's ring and keeps until the run ends, when their guest TSC can be
 * mapped to host time and their events written: {@code width} longs each in one growing array, at
 * most {@code limit} entries (later ones are only counted). A guest that writes without end cannot
 * make it grow beyond {@code limit × width × 8} bytes. Not thread-safe: its sampler's lock guards it.
 */
final class KeptEntries {
    private final int width;
    private final int limit;
    private long[] values = new long[0];
    private int size;
    private long refused;

    KeptEntries(int width, int limit) {
        if (width < 1 || limit < 0) throw new IllegalArgumentException("width " + width + ", limit " + limit);
        this.width = width;
        this.limit = limit;
    }

    /** Keeps {@code entry} (its first {@code width} values); false, and counted, when {@link #limit} are kept already. */
    boolean add(long... entry) {
        if (size >= limit) {
            refused++;
            return false;
        }
        if ((size + 1) * width > values.length) values = Arrays.copyOf(values, Math.min(limit, Math.max(256, size * 2)) * width);
        System.arraycopy(entry, 0, values, size++ * width, width);
        return true;
    }

    int size() {
        return size;
    }

    int limit() {
        return limit;
    }

    /** Entries not kept because the limit was reached. */
    long refused() {
        return refused;
    }

    /** Value {@code field} of entry {@code index}. */
    long get(int index, int field) {
        if (index >= size || field >= width) throw new IndexOutOfBoundsException(index + "/" + field);
        return values[index * width + field];
    }

    /** Lets the entries go (after their events are written). */
    void clear() {
        values = new long[0];
        size = 0;
    }
}
