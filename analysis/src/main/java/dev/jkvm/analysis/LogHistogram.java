package dev.jkvm.analysis;

/**
 * A histogram of non-negative longs in fixed memory, however many samples: log-linear buckets, 128
 * per power of two, so a bucket is at most 1/128 of its lower bound wide (values below 256 get a
 * bucket each). A percentile reports the mean of the samples in the bucket holding that rank, so its
 * relative error is below 0.79 % (2^-7), and it is exact when that bucket's samples are all equal.
 * Percentiles are nearest-rank: the smallest sample with at least p % of all samples at or below it.
 * Buckets are allocated one power of two at a time, when a value first lands there (≤ 112 KiB).
 */
public final class LogHistogram {
    private static final int SUB_BITS = 7;
    private static final int SUB = 1 << SUB_BITS;
    private static final int LINEAR = 2 * SUB;
    /** Block 0: the exact values 0..255; block b ≥ 1: values in [2^(b+7), 2^(b+8)). */
    private static final int BLOCKS = 64 - SUB_BITS;

    private final long[][] counts = new long[BLOCKS][];
    private final long[][] sums = new long[BLOCKS][];
    private long count;
    private long total;
    private long min = Long.MAX_VALUE;
    private long max = Long.MIN_VALUE;

    public void record(long value) {
        long v = Math.max(0, value);
        int block, slot;
        if (v < LINEAR) {
            block = 0;
            slot = (int) v;
        } else {
            int magnitude = 63 - Long.numberOfLeadingZeros(v);
            block = magnitude - SUB_BITS;
            slot = (int) (v >>> (magnitude - SUB_BITS)) - SUB;
        }
        if (counts[block] == null) {
            counts[block] = new long[block == 0 ? LINEAR : SUB];
            sums[block] = new long[block == 0 ? LINEAR : SUB];
        }
        counts[block][slot]++;
        sums[block][slot] += v;
        count++;
        total += v;
        min = Math.min(min, v);
        max = Math.max(max, v);
    }

    /** Adds every sample of {@code other} (e.g. all vCPUs' slices into one run-wide histogram). */
    public void add(LogHistogram other) {
        for (int b = 0; b < BLOCKS; b++) {
            long[] c = other.counts[b];
            if (c == null) continue;
            if (counts[b] == null) {
                counts[b] = new long[c.length];
                sums[b] = new long[c.length];
            }
            for (int s = 0; s < c.length; s++) {
                counts[b][s] += c[s];
                sums[b][s] += other.sums[b][s];
            }
        }
        count += other.count;
        total += other.total;
        min = Math.min(min, other.min);
        max = Math.max(max, other.max);
    }

    public long count() {
        return count;
    }

    public long total() {
        return total;
    }

    /** The largest sample, or 0 when there is none. */
    public long max() {
        return count == 0 ? 0 : max;
    }

    /** The nearest-rank percentile (0 < p ≤ 100) within 0.79 %, or 0 when there are no samples. */
    public long percentile(double p) {
        if (count == 0) return 0;
        if (p >= 100) return max;
        long rank = Math.max(1, (long) Math.ceil(p / 100.0 * count));
        long seen = 0;
        for (int b = 0; b < BLOCKS; b++) {
            long[] c = counts[b];
            if (c == null) continue;
            for (int s = 0; s < c.length; s++) {
                if (c[s] == 0) continue;
                seen += c[s];
                if (seen >= rank) {
                    long mean = Math.round((double) sums[b][s] / c[s]);
                    return Math.min(max, Math.max(min, mean));
                }
            }
        }
        return max;
    }

    /** Count, p50, p90, p99, max and total as one value. */
    public Dist dist() {
        return new Dist(count, percentile(50), percentile(90), percentile(99), max(), total);
    }
}
