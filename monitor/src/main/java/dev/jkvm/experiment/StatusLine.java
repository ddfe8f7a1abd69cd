package dev.jkvm.experiment;

import dev.jkvm.util.FaultInjection;
import dev.jkvm.util.HelperFailures;
import dev.jkvm.sched.SchedRecorder;
import dev.jkvm.util.Durations;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The one line `jkvm run` keeps refreshing on a terminal while an experiment runs: elapsed of total,
 * each VM's share of the CPU so far, switches per second and lost records. Rewritten in place with a
 * carriage return about once a second and cleared before anything else is printed; never used when
 * the output is not a terminal. The numbers are the recorder's, read while it works: a display, not
 * a measurement.
 */
final class StatusLine {
    static final long PERIOD_NANOS = 1_000_000_000L;
    /** The widest line drawn; narrower on a narrower terminal (a line as wide as it wraps, and each redraw became a new line). */
    private static final int MAX_WIDTH = 100;
    private final int width = Math.max(20, Math.min(MAX_WIDTH, terminalColumns() - 1));

    private final PrintWriter out;
    private final java.util.function.Supplier<SchedRecorder.Live> recorder;
    private final List<String> vms;
    private final long total;
    private long lastAt;
    private long lastSwitches;
    private boolean shown;
    private String current = "";

    private final HelperFailures failures;
    private final FaultInjection.Point fault = FaultInjection.at("status-line");
    /** Set when an update failed: the line is no longer drawn, the run goes on. */
    private boolean failed;

    /**
     * @param recorder   the recorder's live numbers (asked for only while the guests run: the line exists before the recorder)
     * @param totalNanos the run's duration, or 0 when it has none
     */
    StatusLine(PrintWriter out, java.util.function.Supplier<SchedRecorder.Live> recorder, List<String> vms, long totalNanos, HelperFailures failures) {
        this.out = out;
        this.failures = failures;
        this.recorder = recorder;
        this.vms = vms;
        this.total = totalNanos;
    }

    /**
     * The terminal's width in columns: $COLUMNS where the shell exported it, else what {@code stty size}
     * says of the controlling terminal, else 80.
     */
    static int terminalColumns() {
        try {
            String env = System.getenv("COLUMNS");
            if (env != null && env.matches("\\d{1,4}")) return Integer.parseInt(env);
            Process p = new ProcessBuilder("stty", "size").redirectInput(new java.io.File("/dev/tty"))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String size = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).strip();
            if (p.waitFor(2, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0 && size.matches("\\d+ \\d+")) {
                int columns = Integer.parseInt(size.substring(size.indexOf(' ') + 1));
                if (columns > 0) return columns;
            }
        } catch (java.io.IOException | RuntimeException e) {
            // no stty, no controlling terminal: the common width
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 80;
    }

    /** Whether standard output is a terminal a status line can be redrawn on. */
    static boolean terminal() {
        // Standard output alone: Console.isTerminal also wants standard input to be one, and a run
        // with its input redirected (`jkvm run … < /dev/null`) showed no status line.
        try {
            String target = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/1")).toString();
            return target.matches("/dev/(pts/\\d+|tty\\w*|console)");
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return false; // no /proc: no way to tell, so no status line
        }
    }

    /** Redraws the line; a failure (it reads the recorder's state while that works) is reported once and ends the updates, not the run. */
    void update(long startedAt, long now) {
        if (failed) return;
        try {
            fault.pass();
            draw(startedAt, now);
        } catch (Throwable t) {
            failed = true;
            failures.failed("status line", t, "status line updates");
        }
    }

    private void draw(long startedAt, long now) {
        long elapsed = now - startedAt;
        SchedRecorder.Live live = recorder.get();
        boolean rated = lastAt != 0; // the first update has no rate yet: "-", not a 0 that was never measured
        double perSecond = rated ? (live.switchRecords() - lastSwitches) * 1e9 / Math.max(1, now - lastAt) : 0;
        lastAt = now;
        lastSwitches = live.switchRecords();
        StringBuilder line = new StringBuilder();
        line.append(Durations.format(Duration.ofNanos(elapsed)));
        if (total > 0) line.append('/').append(Durations.format(Duration.ofNanos(total)));
        line.append(String.format(Locale.ROOT, "  %s switches/s  lost %d  share", rated ? String.format(Locale.ROOT, "%.0f", perSecond) : "-",
                live.lostRecords()));
        for (String vm : vms) {
            long onCpu = live.onCpu().getOrDefault(vm, 0L);
            String part = String.format(Locale.ROOT, " %s %.0f%%", vm, elapsed <= 0 ? 0 : 100.0 * onCpu / elapsed);
            if (line.length() + part.length() > width - 2) {
                line.append(" …");
                break;
            }
            line.append(part);
        }
        synchronized (out) {
            current = pad(line.toString());
            out.print('\r' + current);
            out.flush();
            shown = true;
        }
    }

    /** Clears the line so what follows starts on a clean one. */
    void clear() {
        synchronized (out) {
            if (!shown) return;
            out.print('\r' + " ".repeat(width) + '\r');
            out.flush();
            shown = false;
        }
    }

    /**
     * A writer for lines printed while the status line is up (the guests' serial output): each line
     * goes above the status line, which is drawn again below it.
     */
    PrintWriter above() {
        PrintWriter terminal = out;
        return new PrintWriter(terminal) {
            @Override
            public void println(String x) {
                synchronized (terminal) {
                    if (shown) terminal.print('\r' + " ".repeat(width) + '\r');
                    terminal.println(x);
                    if (shown) terminal.print('\r' + current);
                    terminal.flush();
                }
            }
        };
    }

    private String pad(String s) {
        return s.length() >= width ? s.substring(0, width) : s + " ".repeat(width - s.length());
    }
}
