package dev.jkvm.analysis.expect;

/** What a metric came to on one recording: a value, or why there is none (never silently zero). */
public sealed interface Measured {
    record Value(double value) implements Measured {}

    /** The recording does not hold what the metric needs (its events were off, the VM is not there…). */
    record NotRecorded(String why) implements Measured {}

    static Measured of(double v) {
        return new Value(v);
    }

    static Measured missing(String why) {
        return new NotRecorded(why);
    }
}
