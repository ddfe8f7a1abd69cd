package dev.jkvm.experiment;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Maps a guest's TSC to the host's CLOCK_MONOTONIC, fitted from samples (host time, the guest's
 * latest TSC) taken while the guest ran. The guest's TSC runs at its own rate and offset: KVM offsets
 * it from the host's, and under emulation even KVM_GET_TSC_KHZ can be off by tens of percent, so both
 * rate and offset are measured. Pure.
 *
 * <p>A sample is only trustworthy while the vCPU is on the CPU: a descheduled guest does not update
 * its TSC, so the value would be stale. Samples inside or just after an off-CPU interval are
 * dropped, and so are samples whose read took long (the sampler itself was delayed).
 */
public record TscClock(double nanosPerCycle, double offsetNanos, int samplesUsed) {
    /** After a sched-in the guest needs a moment to execute and store a fresh TSC. */
    static final long SETTLE_NANOS = 200_000;
    /** Fewer usable samples than this give no mapping. */
    static final int MIN_SAMPLES = 5;

    /** One sample: host time (midpoint of the read), how long the read took, and the TSC read. */
    public record Sample(long hostNanos, long readNanos, long guestTsc) {}

    /** Host CLOCK_MONOTONIC of a guest TSC value. */
    public long hostNanos(long guestTsc) {
        return Math.round(guestTsc * nanosPerCycle + offsetNanos);
    }

    /** Host nanoseconds of a number of guest TSC cycles. */
    public long nanos(long cycles) {
        return Math.round(cycles * nanosPerCycle);
    }

    /**
     * Fits the mapping from samples that each bound it from below: the guest TSC value of a sample was
     * stored before its host time (a tick's TSC, read at a later poll), by an unknown delay. The
     * mapping is the line under every sample that keeps closest to them all: an edge of the samples'
     * lower convex hull, so two samples seen soon after their ticks fix the rate and the offset. (A
     * least-squares slope does not do: the polls and the ticks beat against each other, so the delay
     * drifts with time; the slope came out 580 ppm off and a 3 s run's handlers 0.4 ms off.) Needs
     * {@link #MIN_SAMPLES} samples with distinct TSC values.
     */
    public static Optional<TscClock> fitBelow(List<Sample> samples) {
        List<Sample> sorted = new ArrayList<>(samples);
        sorted.sort(java.util.Comparator.comparingLong(Sample::guestTsc).thenComparingLong(Sample::hostNanos));
        double x0 = sorted.isEmpty() ? 0 : sorted.get(0).guestTsc(), y0 = sorted.isEmpty() ? 0 : sorted.get(0).hostNanos();
        List<double[]> points = new ArrayList<>();
        for (Sample s : sorted) {
            double x = s.guestTsc() - x0, y = s.hostNanos() - y0;
            if (!points.isEmpty() && points.get(points.size() - 1)[0] == x) continue; // the same TSC seen later bounds less
            points.add(new double[] {x, y});
        }
        if (points.size() < MIN_SAMPLES) return Optional.empty();
        List<double[]> hull = new ArrayList<>();
        for (double[] p : points) {
            while (hull.size() >= 2 && cross(hull.get(hull.size() - 2), hull.get(hull.size() - 1), p) <= 0) hull.remove(hull.size() - 1);
            hull.add(p);
        }
        double sumX = 0;
        for (double[] p : points) sumX += p[0];
        int n = points.size();
        // The line through an edge, y = a·x + b, lies under every point; the best leaves the least in
        // all: the sum of y − (a·x + b) over the points is Σy − a·Σx − n·b, least where a·Σx + n·b is largest.
        double bestA = Double.NaN, bestB = 0, best = Double.NEGATIVE_INFINITY;
        for (int i = 0; i + 1 < hull.size(); i++) {
            double[] p = hull.get(i), q = hull.get(i + 1);
            double a = (q[1] - p[1]) / (q[0] - p[0]);
            if (!(a > 0)) continue;
            double b = p[1] - a * p[0];
            double score = a * sumX + n * b;
            if (score > best) {
                best = score;
                bestA = a;
                bestB = b;
            }
        }
        if (Double.isNaN(bestA)) return Optional.empty();
        return Optional.of(new TscClock(bestA, y0 + bestB - bestA * x0, n));
    }

    /** Samples below which {@link #fitBelow(List, double)} takes the rate KVM reports rather than fitting one. */
    static final int DENSE_SAMPLES = 100;

    /**
     * As {@link #fitBelow(List)} where the samples are many ({@link #DENSE_SAMPLES}); with fewer, a few
     * points fix the hull's slope badly (a 2 Hz tick's handlers drifted 1,600 ppm, 4 ms in 3 s), so the
     * rate is {@code nominalNanosPerCycle} (from KVM_GET_TSC_KHZ; 15 ppm off the fitted one here) and
     * only the offset is fitted: the line at that rate just under every sample. Empty without samples.
     */
    public static Optional<TscClock> fitBelow(List<Sample> samples, double nominalNanosPerCycle) {
        boolean nominal = nominalNanosPerCycle > 0 && Double.isFinite(nominalNanosPerCycle);
        if (samples.size() >= DENSE_SAMPLES || !nominal) {
            Optional<TscClock> dense = fitBelow(samples);
            if (dense.isPresent() || !nominal) return dense;
        }
        if (samples.isEmpty()) return Optional.empty();
        double x0 = samples.get(0).guestTsc(), b = Double.POSITIVE_INFINITY;
        for (Sample s : samples) b = Math.min(b, s.hostNanos() - nominalNanosPerCycle * (s.guestTsc() - x0));
        return Optional.of(new TscClock(nominalNanosPerCycle, b - nominalNanosPerCycle * x0, samples.size()));
    }

    /** Twice the signed area of o, a, b: positive when they turn counter-clockwise. */
    private static double cross(double[] o, double[] a, double[] b) {
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
    }

    /**
     * Fits the mapping from {@code samples}, ignoring those the vCPU could not have produced fresh:
     * within {@code offCpu} intervals ({out, in} host times, sorted) or shortly after one.
     */
    public static Optional<TscClock> fit(List<Sample> samples, List<long[]> offCpu) {
        List<Sample> good = new ArrayList<>();
        long lastTsc = Long.MIN_VALUE;
        for (Sample s : samples) {
            if (s.readNanos() > 50_000 || s.guestTsc() == 0 || s.guestTsc() == lastTsc) continue;
            lastTsc = s.guestTsc();
            if (!freshAt(s.hostNanos(), offCpu)) continue;
            good.add(s);
        }
        if (good.size() < MIN_SAMPLES) return Optional.empty();
        // Least squares of host = a·tsc + b, centred to keep the doubles precise.
        double x0 = good.get(0).guestTsc(), y0 = good.get(0).hostNanos();
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (Sample s : good) {
            double x = s.guestTsc() - x0, y = s.hostNanos() - y0;
            sx += x; sy += y; sxx += x * x; sxy += x * y;
        }
        int n = good.size();
        double var = sxx - sx * sx / n;
        if (var <= 0) return Optional.empty();
        double a = (sxy - sx * sy / n) / var;
        double b = (sy - a * sx) / n + y0 - a * x0;
        if (!(a > 0) || Double.isNaN(b)) return Optional.empty();
        return Optional.of(new TscClock(a, b, n));
    }

    /**
     * Refines the mapping with the switch records: a gap of a millisecond or more is almost always the
     * vCPU being switched out, so its mapped start should sit on a sched-out ({@code offCpu[i][0]}).
     * First the median residual to the nearest sched-out is added to the offset (inside an emulated
     * sandbox the sampler runs only between the emulated CPU's time slices, so every sample is stale by
     * about the same few milliseconds); then rate and offset are refitted by least squares on the
     * gap/sched-out pairs, with a shrinking window that drops pairs which do not belong together.
     * {@code gaps} are {tsc_before_gap, gap_cycles}. Returns this mapping when too few pairs agree.
     */
    public TscClock snappedTo(List<long[]> gaps, List<long[]> offCpu) {
        if (offCpu.isEmpty()) return this;
        List<Long> residuals = new ArrayList<>();
        for (long[] g : gaps) {
            if (nanos(g[1]) < 1_000_000) continue;
            long start = hostNanos(g[0]);
            residuals.add(nearestOut(start, offCpu) - start);
        }
        if (residuals.size() < MIN_SAMPLES) return this;
        residuals.sort(Long::compare);
        TscClock c = new TscClock(nanosPerCycle, offsetNanos + residuals.get(residuals.size() / 2), samplesUsed);
        for (long window : new long[] {4_000_000, 2_000_000, 1_000_000, 500_000}) {
            double x0 = Double.NaN, y0 = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
            int n = 0;
            for (long[] g : gaps) {
                if (c.nanos(g[1]) < 1_000_000) continue;
                long start = c.hostNanos(g[0]);
                long out = nearestOut(start, offCpu);
                if (Math.abs(out - start) > window) continue;
                if (Double.isNaN(x0)) {
                    x0 = g[0];
                    y0 = out;
                }
                double x = g[0] - x0, y = out - y0;
                sx += x; sy += y; sxx += x * x; sxy += x * y;
                n++;
            }
            if (n < MIN_SAMPLES) break;
            double var = sxx - sx * sx / n;
            if (var <= 0) break;
            double rate = (sxy - sx * sy / n) / var;
            if (!(rate > 0)) break;
            double offset = (sy - rate * sx) / n + y0 - rate * x0;
            c = new TscClock(rate, offset, samplesUsed);
        }
        return c;
    }

    private static long nearestOut(long t, List<long[]> offCpu) {
        int lo = 0, hi = offCpu.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (offCpu.get(mid)[0] < t) lo = mid + 1;
            else hi = mid;
        }
        long best = offCpu.get(lo)[0];
        if (lo > 0 && Math.abs(offCpu.get(lo - 1)[0] - t) < Math.abs(best - t)) best = offCpu.get(lo - 1)[0];
        return best;
    }

    /** True if at host time {@code t} the vCPU had been on the CPU for at least {@link #SETTLE_NANOS}. */
    static boolean freshAt(long t, List<long[]> offCpu) {
        int lo = 0, hi = offCpu.size() - 1, last = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (offCpu.get(mid)[0] <= t) {
                last = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return last < 0 || t >= offCpu.get(last)[1] + SETTLE_NANOS;
    }
}
