package dev.jkvm.bench;

import java.util.Arrays;

/** Order statistics over a benchmark's samples. */
final class Stats {
    private Stats() {}

    static double median(double[] v) {
        return quantile(v, 0.5);
    }

    /** The {@code q} quantile with linear interpolation between the two nearest ranks; NaN when empty. */
    static double quantile(double[] values, double q) {
        if (values.length == 0) return Double.NaN;
        double[] v = values.clone();
        Arrays.sort(v);
        double pos = q * (v.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return v[lo] + (v[hi] - v[lo]) * (pos - lo);
    }

    static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }

    static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }
}
