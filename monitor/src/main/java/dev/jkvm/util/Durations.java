package dev.jkvm.util;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses durations the way users write them: 500ms, 5s, 2m, 1h, 1.5s (a bare number is seconds). */
public final class Durations {
    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|us)?");
    /**
     * The longest duration accepted: a year. Deadlines are the monotonic clock plus a duration in
     * nanoseconds, which a duration near Long.MAX_VALUE would overflow into the past (a run that
     * stopped at once, as if its time were up).
     */
    public static final Duration MAX = Duration.ofDays(365);

    private Durations() {}

    public static Duration parse(String text) {
        Matcher m = FORM.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) throw new UsageException("not a duration: '" + text + "' (examples: 500ms, 5s, 2m)");
        double value = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        double nanos = value * switch (unit) {
            case "us" -> 1e3;
            case "ms" -> 1e6;
            case "s" -> 1e9;
            case "m" -> 60e9;
            case "h" -> 3600e9;
            default -> throw new AssertionError(unit);
        };
        long rounded = Math.round(nanos);
        if (rounded <= 0) throw new UsageException("duration must be positive: '" + text + "'");
        if (nanos > MAX.toNanos()) throw new UsageException("duration too long: '" + text + "' (at most 365 days, 8760h)");
        return Duration.ofNanos(rounded);
    }

    /** A short human form: 1.500 s, 250.0 ms, 12.0 µs. */
    public static String format(Duration d) {
        long ns = d.toNanos();
        if (ns >= 1_000_000_000L) return String.format(Locale.ROOT, "%.3f s", ns / 1e9);
        if (ns >= 1_000_000L) return String.format(Locale.ROOT, "%.1f ms", ns / 1e6);
        return String.format(Locale.ROOT, "%.1f µs", ns / 1e3);
    }
}
