package dev.jkvm.analysis.expect;

import java.util.Locale;

/**
 * What a metric measures, which decides the values it can be compared with and how a tolerance in
 * percent is read: for a {@link #FRACTION} (a share of the window, a fairness index) "± 5%" is five
 * percentage points; for everything else it is five percent of the expected value.
 */
public enum Dimension {
    /** Nanoseconds; values need a unit (ns, us, µs, ms, s). */
    TIME,
    /** A fraction of 1, written as 0.5 or 50%. */
    FRACTION,
    /** A number of things (switches, exits, records). */
    COUNT,
    /** A plain ratio of two quantities (3.06 for 3.06:1), or a rate. */
    RATIO;

    /** A value of this dimension the way the table shows it. */
    public String format(double v) {
        return switch (this) {
            case TIME -> time(v);
            case FRACTION -> String.format(Locale.ROOT, "%.2f %%", 100 * v);
            case COUNT -> v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2f", v);
            case RATIO -> String.format(Locale.ROOT, "%.3f", v);
        };
    }

    private static String time(double ns) {
        double a = Math.abs(ns);
        if (a < 1e3) return String.format(Locale.ROOT, "%.0f ns", ns);
        if (a < 1e6) return String.format(Locale.ROOT, "%.1f µs", ns / 1e3);
        if (a < 1e9) return String.format(Locale.ROOT, "%.3f ms", ns / 1e6);
        return String.format(Locale.ROOT, "%.3f s", ns / 1e9);
    }
}
