package dev.jkvm.exits;

/**
 * Per-vCPU exit counts by reason, and a histogram of the time the monitor spent handling each exit
 * (from KVM_RUN's return to the next KVM_RUN), in power-of-two nanosecond buckets.
 * Written only by the vCPU thread; other threads may read while it runs and then see values that are
 * at most a few exits old (64-bit writes do not tear on the 64-bit JVMs jkvm runs on).
 */
public final class ExitStats {
    /** Bucket b counts handling times in [2^b, 2^(b+1)) ns; bucket 0 also holds 0 ns. 2^40 ns ≈ 18 min. */
    public static final int BUCKETS = 41;
    /** Index of the counts of codes without a name (or beyond {@link ExitReason#CODE_LIMIT}). */
    private static final int OTHER = ExitReason.CODE_LIMIT;

    private final long[] counts = new long[ExitReason.CODE_LIMIT + 1];
    private final long[][] histograms = new long[ExitReason.CODE_LIMIT + 1][];
    private final long[] totalHandlingNanos = new long[ExitReason.CODE_LIMIT + 1];
    private final long[] maxHandlingNanos = new long[ExitReason.CODE_LIMIT + 1];
    private long interrupted;

    private static int slot(int code) {
        return code >= 0 && code < ExitReason.CODE_LIMIT ? code : OTHER;
    }

    /** Counts one exit with reason {@code code} whose handling took {@code handlingNanos}. */
    public void record(int code, long handlingNanos) {
        int s = slot(code);
        counts[s]++;
        long[] h = histograms[s];
        if (h == null) h = histograms[s] = new long[BUCKETS];
        h[bucketOf(handlingNanos)]++;
        totalHandlingNanos[s] += handlingNanos;
        if (handlingNanos > maxHandlingNanos[s]) maxHandlingNanos[s] = handlingNanos;
    }

    /**
     * The exits of several vCPUs (one VM's) as one: counts, histograms and totals added, maxima the
     * largest. Read while those vCPUs run, it is a few exits old, as a single one is.
     */
    public static ExitStats sum(java.util.List<ExitStats> parts) {
        if (parts.size() == 1) return parts.get(0);
        ExitStats sum = new ExitStats();
        for (ExitStats p : parts) {
            for (int s = 0; s <= OTHER; s++) {
                sum.counts[s] += p.counts[s];
                sum.totalHandlingNanos[s] += p.totalHandlingNanos[s];
                sum.maxHandlingNanos[s] = Math.max(sum.maxHandlingNanos[s], p.maxHandlingNanos[s]);
                long[] h = p.histograms[s];
                if (h == null) continue;
                if (sum.histograms[s] == null) sum.histograms[s] = new long[BUCKETS];
                for (int b = 0; b < BUCKETS; b++) sum.histograms[s][b] += h[b];
            }
            sum.interrupted += p.interrupted;
        }
        return sum;
    }

    /** Counts a KVM_RUN that returned EINTR or EAGAIN (not a guest exit). */
    public void recordInterrupted() {
        interrupted++;
    }

    static int bucketOf(long nanos) {
        if (nanos <= 1) return 0;
        return Math.min(BUCKETS - 1, 63 - Long.numberOfLeadingZeros(nanos));
    }

    public long count(ExitReason reason) {
        return counts[reason.code()];
    }

    public long countOfCode(int code) {
        return counts[slot(code)];
    }

    /** All guest exits (interruptions not included). */
    public long total() {
        long t = 0;
        for (long c : counts) t += c;
        return t;
    }

    public long interrupted() {
        return interrupted;
    }

    /** A point-in-time copy for one reason code, for reports and periodic events. */
    public Snapshot snapshot(int code) {
        int s = slot(code);
        long[] h = histograms[s];
        return new Snapshot(code, counts[s], totalHandlingNanos[s], maxHandlingNanos[s], h == null ? new long[BUCKETS] : h.clone());
    }

    /** Reason codes with at least one exit, ascending (the "other" slot last, as code -1). */
    public int[] codesSeen() {
        return java.util.stream.IntStream.rangeClosed(0, OTHER)
                .filter(s -> counts[s] > 0)
                .map(s -> s == OTHER ? -1 : s)
                .toArray();
    }

    /** Counts and handling-time distribution of one exit reason. */
    public record Snapshot(int code, long count, long totalHandlingNanos, long maxHandlingNanos, long[] histogram) {
        public String reasonName() {
            return code < 0 ? "other" : ExitReason.nameOf(code);
        }

        public long meanHandlingNanos() {
            return count == 0 ? 0 : totalHandlingNanos / count;
        }

        /**
         * Upper bound of the bucket holding quantile {@code q} (0..1) of handling times, in ns; never
         * above the maximum, which bounds every quantile more tightly when the top bucket holds it (a
         * p99 of 262,144 ns beside a max of 158,145 ns was reported before).
         */
        public long quantileUpperBoundNanos(double q) {
            long target = (long) Math.ceil(q * count);
            long seen = 0;
            for (int b = 0; b < histogram.length; b++) {
                seen += histogram[b];
                if (seen >= target && seen > 0) return Math.min(1L << (b + 1), maxHandlingNanos);
            }
            return 0;
        }

        /** Exits handled in under {@code limitNanos} (a power of two). */
        public long countBelow(long limitNanos) {
            long n = 0;
            for (int b = 0; b < histogram.length && (1L << (b + 1)) <= limitNanos; b++) n += histogram[b];
            return n;
        }
    }
}
