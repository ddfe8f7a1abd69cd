package dev.jkvm.sched;

/**
 * The distribution of commit lags (kernel timestamp → event committed) in fixed memory: a log-linear
 * histogram of 32 buckets per power of two, so a percentile reads at most 1/32 (3 %) above the true
 * value however long the run. Single writer.
 */
final class CommitLag {
    private final long[] counts = new long[64 + 58 * 32];
    private long total;
    private long max;

    void add(long nanos) {
        long v = Math.max(0, nanos);
        counts[bucket(v)]++;
        total++;
        if (v > max) max = v;
    }

    /** Values below 64 have a bucket each; above, the top six bits of the value pick one of 32 per power of two. */
    static int bucket(long v) {
        if (v < 64) return (int) v;
        int shift = 63 - Long.numberOfLeadingZeros(v) - 5;
        int top = (int) (v >>> shift); // 32..63
        return 64 + (shift - 1) * 32 + (top - 32);
    }

    /** The largest value of a bucket: what a percentile falling in it reports (at most 1/32 above the truth). */
    static long bucketTop(int b) {
        if (b < 64) return b;
        int shift = (b - 64) / 32 + 1;
        long top = (b - 64) % 32 + 32;
        return ((top + 1) << shift) - 1;
    }

    long percentile(double q) {
        if (total == 0) return 0;
        long rank = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int b = 0; b < counts.length; b++) {
            seen += counts[b];
            if (seen >= rank) return Math.min(max, bucketTop(b));
        }
        return max;
    }

    long max() {
        return max;
    }

    long count() {
        return total;
    }
}
