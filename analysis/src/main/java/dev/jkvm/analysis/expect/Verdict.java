package dev.jkvm.analysis.expect;

/** The outcome of one expectation on one recording: what was expected and what was measured (or why nothing was). */
public record Verdict(Expectation expectation, boolean passed, String expected, String measured) {

    /** One line: {@code PASS  slice.p99 < 12ms  (expected < 12.000 ms, measured 4.120 ms)}. */
    public String line() {
        return (passed ? "PASS" : "FAIL") + "  " + expectation.text() + "  (expected " + expected + ", measured " + measured + ")";
    }

    /** The failure message of a JUnit test case: the metric as named, its arguments too (split(vm0), not split). */
    public String message() {
        String metric = expectation.metric().name() + (expectation.args().isEmpty() ? "" : "(" + String.join(", ", expectation.args()) + ")");
        return "expected " + metric + " " + expected + ", measured " + measured;
    }
}
