package dev.jkvm.analysis.expect;

/** The outcome of one expectation on one recording: what was expected and what was measured (or why nothing was). */
public record Verdict(Expectation expectation, boolean passed, String expected, String measured) {

    /** One line: {@code PASS  slice.p99 < 12ms  (expected < 12.000 ms, measured 4.120 ms)}. */
    public String line() {
        return (passed ? "PASS" : "FAIL") + "  " + expectation.text() + "  (expected " + expected + ", measured " + measured + ")";
    }

    /** The failure message of a JUnit test case. */
    public String message() {
        return "expected " + expectation.metric().name() + " " + expected + ", measured " + measured;
    }
}
