package dev.jkvm.util;

import java.io.PrintWriter;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Failures of a run's helper threads (the recorder, the guest samplers, the status line, JFR's
 * periodic hooks): a Throwable there, an Error included, must neither end the run nor vanish. Each
 * is said at once in one line naming what the run lacks from then on, and kept: the run's report
 * turns any into exit code 1, and the recording's {@code jkvm.RecorderSummary} lists them.
 */
public final class HelperFailures {
    private final PrintWriter notices;
    private final List<String> failures = new ArrayList<>();

    /** @param notices where the line goes (the run's output) */
    public HelperFailures(PrintWriter notices) {
        this.notices = notices;
    }

    /**
     * Reports that {@code helper} failed with {@code t} and stopped: {@code missing} names what is
     * missing from now on (plural: "switch events"). Safe from any thread, also when memory ran out
     * (then the line may be shorter).
     */
    public void failed(String helper, Throwable t, String missing) {
        String line;
        try {
            line = helper + " failed: " + reason(t) + "; " + missing + " after "
                    + LocalTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS) + " UTC are missing";
        } catch (Throwable again) {
            line = helper + " failed; " + missing + " are missing";
        }
        synchronized (this) {
            failures.add(line);
        }
        try {
            notices.println("jkvm: " + line);
            notices.flush();
        } catch (Throwable ignored) {
            // The line is kept for the report; a failing terminal must not end the helper's caller.
        }
    }

    /** Every failure so far, one line each (without the "jkvm: " in front). */
    public synchronized List<String> all() {
        return List.copyOf(failures);
    }

    /** A Throwable as one line: its type and message, e.g. "OutOfMemoryError: Java heap space". */
    public static String reason(Throwable t) {
        String message = t.getMessage();
        return t.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message.strip().replace('\n', ' '));
    }
}
