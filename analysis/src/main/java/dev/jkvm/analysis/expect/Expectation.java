package dev.jkvm.analysis.expect;

import dev.jkvm.analysis.RunSummary;
import java.util.List;

/**
 * One parsed expectation: a metric (with its arguments) and a check, for example
 * {@code share(vm0) within 1/N ± 5%} or {@code slice.p99 < 12ms}. Parsing ({@link #parse}) finds every
 * mistake of the text, with its position, before anything runs; {@link #evaluate} judges a recording.
 */
public record Expectation(String text, Metric metric, List<String> args, Check check) {

    public Expectation {
        args = List.copyOf(args);
    }

    /** What the metric is held to. */
    public sealed interface Check {}

    /** metric OP value, OP one of {@code < <= > >= == !=}. */
    public record Compare(String op, Quantity value) implements Check {}

    /**
     * metric within center ± tolerance. The tolerance is absolute (a time for a time, percentage
     * points for a fraction) or, written in % on anything but a fraction, relative to the center.
     */
    public record Within(Quantity center, Quantity tolerance) implements Check {}

    /** Parses one expectation; throws {@link ExpectationSyntaxException} with the position of the first mistake. */
    public static Expectation parse(String text) {
        return new Parser(text).expectation();
    }

    /** The check as written, after the metric and its arguments: {@code >= 0.9}, {@code within 1/N ± 5%}. */
    public String checkText() {
        int i = 0;
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) i++;
        i += metric.name().length();
        int open = i;
        while (open < text.length() && Character.isWhitespace(text.charAt(open))) open++;
        if (open < text.length() && text.charAt(open) == '(') {
            int close = text.indexOf(')', open);
            i = close < 0 ? text.length() : close + 1;
        }
        return text.substring(i).strip();
    }

    /** Judges the expectation on one recording's summary. Never throws for anything the recording holds. */
    public Verdict evaluate(RunSummary run) {
        int n = run.vcpus().size();
        Dimension d = metric.dimension();
        String expected;
        double lo, hi;
        String op;
        switch (check) {
            case Compare c -> {
                double v = c.value().value(n);
                expected = c.op() + " " + d.format(v);
                lo = hi = v;
                op = c.op();
            }
            case Within w -> {
                double center = w.center().value(n);
                double tol = Math.abs(w.tolerance().value(n));
                if (w.tolerance().percent() && d != Dimension.FRACTION) tol *= Math.abs(center);
                lo = center - tol;
                hi = center + tol;
                expected = "in [" + d.format(lo) + ", " + d.format(hi) + "] (" + d.format(center) + " ± " + d.format(tol) + ")";
                op = "within";
            }
        }
        if (!Double.isFinite(lo) || !Double.isFinite(hi)) {
            return new Verdict(this, false, expected, "not comparable: the expected value is not a finite number (N = " + n + ")");
        }
        Measured m = metric.resolver().resolve(run, args);
        return switch (m) {
            case Measured.NotRecorded nr -> new Verdict(this, false, expected, "not recorded: " + nr.why());
            case Measured.Value v -> new Verdict(this, holds(op, v.value(), lo, hi), expected, d.format(v.value()));
        };
    }

    private static boolean holds(String op, double x, double lo, double hi) {
        // Shares and fractions are sums of divisions: a bound met up to rounding is met.
        double slack = 1e-9 * Math.max(1, Math.max(Math.abs(lo), Math.abs(hi)));
        return switch (op) {
            case "<" -> x < lo;
            case "<=" -> x <= lo + slack;
            case ">" -> x > lo;
            case ">=" -> x >= lo - slack;
            case "==" -> Math.abs(x - lo) <= slack;
            case "!=" -> Math.abs(x - lo) > slack;
            case "within" -> x >= lo - slack && x <= hi + slack;
            default -> throw new IllegalStateException("operator " + op);
        };
    }

    @Override
    public String toString() {
        return text;
    }
}
