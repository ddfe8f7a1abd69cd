package dev.jkvm.analysis;

/** A distribution of durations in nanoseconds: percentiles from a {@link LogHistogram} (within 0.79 %), exact count, max and total. */
public record Dist(long count, long p50, long p90, long p99, long max, long total) {
    public static final Dist EMPTY = new Dist(0, 0, 0, 0, 0, 0);
}
