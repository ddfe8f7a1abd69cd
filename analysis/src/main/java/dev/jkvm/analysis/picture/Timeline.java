package dev.jkvm.analysis.picture;

import dev.jkvm.analysis.ScheduleAnalyzer;
import dev.jkvm.analysis.TimelineSink;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A run's timeline kept for a picture, in bounded memory. When the recording has at most
 * {@code maxSegments} switch records every segment, switch mark and (up to {@link #MAX_EXITS}) exit
 * is kept exactly. Beyond that the window is cut into {@link #BINS} equal bins per lane holding the
 * time spent in each state and the number of switches and exits: the picture then shows occupancy,
 * not single slices. Memory: at most maxSegments × 17 bytes, or lanes × BINS × 48 bytes.
 */
public final class Timeline implements TimelineSink {
    public static final int DEFAULT_MAX_SEGMENTS = 50_000;
    public static final int MAX_EXITS = 20_000;
    public static final int BINS = 2_000;

    private final int maxSegments;
    private List<String> lanes = List.of();
    private boolean exact;
    private long binStart, binNanos = 1;
    private long windowStart, windowEnd;
    // Exact: per lane, flat [start, end, state] and [time, class].
    private List<LongList> segments = new ArrayList<>();
    private List<LongList> marks = new ArrayList<>();
    private List<LongList> exits = new ArrayList<>();
    private final List<String> exitReasons = new ArrayList<>();
    private long exitCount;
    private boolean exitsBinned;
    // Binned: per lane and state, nanoseconds per bin; switch marks and exits per bin.
    private double[][][] occupancy;
    private int[][] markBins;
    private int[][] exitBins;

    public Timeline(int maxSegments) {
        this.maxSegments = maxSegments;
    }

    @Override
    public void start(List<String> lanes, long records, long firstTime, long lastTime) {
        this.lanes = List.copyOf(lanes);
        this.exact = records <= maxSegments;
        binStart = firstTime == Long.MAX_VALUE ? 0 : firstTime;
        binNanos = Math.max(1, ((lastTime == Long.MIN_VALUE ? 0 : lastTime) - binStart) / BINS + 1);
        for (int i = 0; i < lanes.size(); i++) {
            segments.add(new LongList());
            marks.add(new LongList());
            exits.add(new LongList());
        }
        if (!exact) {
            occupancy = new double[lanes.size()][3][BINS];
            markBins = new int[lanes.size()][BINS];
        }
    }

    @Override
    public void segment(int lane, int state, long start, long end) {
        if (exact) {
            segments.get(lane).add(start, end, state);
            return;
        }
        for (long t = start; t < end; ) {
            int bin = bin(t);
            long binEnd = binStart + (bin + 1) * binNanos;
            long upTo = Math.min(end, bin == BINS - 1 ? end : binEnd);
            occupancy[lane][state][bin] += upTo - t;
            t = upTo;
        }
    }

    @Override
    public void mark(int lane, long time, int switchClass) {
        if (exact) marks.get(lane).add(time, switchClass);
        else markBins[lane][bin(time)]++;
    }

    @Override
    public void exit(int lane, long time, String reason) {
        exitCount++;
        if (!exitsBinned && exitCount > MAX_EXITS) {
            exitBins = new int[lanes.size()][BINS];
            for (int l = 0; l < exits.size(); l++) {
                LongList e = exits.get(l);
                for (int i = 0; i < e.size(); i += 2) exitBins[l][bin(e.get(i))]++;
                exits.set(l, new LongList());
            }
            exitsBinned = true;
        }
        if (exitsBinned) {
            exitBins[lane][bin(time)]++;
            return;
        }
        int r = exitReasons.indexOf(reason);
        if (r < 0) {
            exitReasons.add(reason);
            r = exitReasons.size() - 1;
        }
        exits.get(lane).add(time, r);
    }

    @Override
    public void end(long windowStart, long windowEnd, long clockOffset) {
        this.windowStart = windowStart;
        this.windowEnd = windowEnd;
    }

    private int bin(long t) {
        return (int) Math.max(0, Math.min(BINS - 1, (t - binStart) / binNanos));
    }

    public List<String> lanes() {
        return lanes;
    }

    /** True when every segment is kept; false when the timeline is binned. */
    public boolean exact() {
        return exact;
    }

    public boolean exitsBinned() {
        return exitsBinned;
    }

    public long windowStart() {
        return windowStart;
    }

    public long windowEnd() {
        return windowEnd;
    }

    public long binStart() {
        return binStart;
    }

    public long binNanos() {
        return binNanos;
    }

    /** Exact mode: a lane's segments as flat [start, end, state] triples in time order. */
    public long[] segments(int lane) {
        return segments.get(lane).toArray();
    }

    /** Exact mode: a lane's switch marks as flat [time, class] pairs. */
    public long[] marks(int lane) {
        return marks.get(lane).toArray();
    }

    /** A lane's exits as flat [time, reason index] pairs (empty when binned). */
    public long[] exits(int lane) {
        return exits.get(lane).toArray();
    }

    public List<String> exitReasons() {
        return exitReasons;
    }

    /** Binned mode: nanoseconds per bin a lane spent in a state ({@link ScheduleAnalyzer#ON_CPU}, RUNNABLE, BLOCKED). */
    public double[] occupancy(int lane, int state) {
        return occupancy[lane][state];
    }

    public int[] markBins(int lane) {
        return markBins[lane];
    }

    /** Exit counts per bin once more than {@link #MAX_EXITS} exits came; null before. */
    public int[] exitBins(int lane) {
        return exitBins == null ? null : exitBins[lane];
    }

    /** A growable array of longs. */
    static final class LongList {
        private long[] a = new long[48];
        private int n;

        void add(long... values) {
            if (n + values.length > a.length) a = Arrays.copyOf(a, Math.max(a.length * 2, n + values.length));
            System.arraycopy(values, 0, a, n, values.length);
            n += values.length;
        }

        long get(int i) {
            return a[i];
        }

        int size() {
            return n;
        }

        long[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
