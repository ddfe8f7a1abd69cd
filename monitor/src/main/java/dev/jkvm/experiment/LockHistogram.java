package dev.jkvm.experiment;

/**
 * The lock guest's histogram buckets (guests/src/lock.s): x cycles for x < 4, else with m the index
 * of x's top bit, 4 × (m − 1) plus the two bits below the top one — four buckets per power of two,
 * so a bucket's upper bound is within 25 % of every value in it — and everything from 2^33 cycles
 * in the last bucket. Pure; the guest computes the same in assembly.
 */
final class LockHistogram {
    static final int BUCKETS = 128;

    private LockHistogram() {}

    /** The bucket of {@code cycles} (≥ 0), as the guest files it. */
    static int bucketOf(long cycles) {
        if (cycles < 0) throw new IllegalArgumentException("negative cycles " + cycles);
        if (cycles < 4) return (int) cycles;
        int m = 63 - Long.numberOfLeadingZeros(cycles);
        int sub = (int) (cycles >>> (m - 2)) & 3;
        return Math.min(BUCKETS - 1, 4 * (m - 1) + sub);
    }

    /** The smallest cycle count of bucket {@code b}. */
    static long lowerBound(int b) {
        if (b < 4) return b;
        int m = b / 4 + 1, sub = b % 4;
        return (long) (4 + sub) << (m - 2);
    }

    /** One past the largest cycle count of bucket {@code b} (the last bucket has no end: Long.MAX_VALUE). */
    static long upperBound(int b) {
        if (b == BUCKETS - 1) return Long.MAX_VALUE;
        return b < 4 ? b + 1 : lowerBound(b + 1);
    }

    /**
     * Quantile {@code q} (0..1] of the counts, nearest rank, as its bucket's upper bound capped at the
     * exact {@code max}; -1 when the histogram is empty. Counts are the guest's and are not trusted
     * beyond being added up (a negative count is taken as 0).
     */
    static long quantile(long[] counts, double q, long max) {
        long total = 0;
        for (long c : counts) total += Math.max(0, c);
        if (total <= 0) return -1;
        long rank = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int b = 0; b < counts.length; b++) {
            seen += Math.max(0, counts[b]);
            if (seen >= rank) return Math.min(max, upperBound(b) - 1);
        }
        return max;
    }
}
