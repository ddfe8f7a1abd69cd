package dev.jkvm.cli;

import dev.jkvm.util.SuddenExit;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGINT, SIGTERM and SIGHUP during `jkvm run`. The first one asks the run to stop (the same end as
 * --duration: every VM stopped, the recorder drained, end events, summaries and the recording
 * written), and the run then exits with 128 + the signal's number. A second one exits at once with
 * that code, without the summary or the recording: the way out when the clean stop itself hangs. It
 * leaves nothing behind: {@link SuddenExit} kills the foreign hogs and deletes the temporary files.
 * SIGHUP (the terminal went away) is treated like SIGTERM, so a run in a closed terminal or ssh
 * session still leaves a complete recording. The JVM's own handlers are put back by {@link #close}.
 */
final class StopSignals implements AutoCloseable {
    /** The signal that stopped the run. */
    record Received(String name, int number) {}

    private static final List<String> NAMES = List.of("INT", "TERM", "HUP");

    private volatile Consumer<String> stop;
    private final PrintWriter err;
    private final List<Signal> installed = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();
    private final List<String> ignored = new ArrayList<>();
    private volatile Received received;

    private StopSignals(Consumer<String> stop, PrintWriter err) {
        this.stop = stop;
        this.err = err;
    }

    /**
     * Installs the handlers before there is anything to stop: a first signal is only remembered
     * ({@link #received}) until {@link #forwardTo} names what to stop.
     */
    static StopSignals install(PrintWriter err) {
        return install(null, err);
    }

    /** Installs the handlers; {@code stop} (may be null, see {@link #forwardTo}) is called once, with the reason, on the first signal. */
    static StopSignals install(Consumer<String> stop, PrintWriter err) {
        StopSignals s = new StopSignals(stop, err);
        for (String name : NAMES) {
            Signal signal = new Signal(name);
            try {
                SignalHandler before = Signal.handle(signal, s::handle);
                if (before == SignalHandler.SIG_IGN) {
                    // Ignored since the process started (nohup; a background job of a shell without
                    // job control ignores SIGINT): the JVM keeps it ignored and installed nothing.
                    s.ignored.add("SIG" + name);
                    continue;
                }
                s.previous.add(before);
                s.installed.add(signal);
            } catch (IllegalArgumentException e) {
                // Reserved by the JVM (e.g. with -Xrs): leave it be.
            }
        }
        if (jvmExiting()) awaitHalt();
        return s;
    }

    /**
     * Whether the JVM has begun to exit: a signal that came before these handlers were installed took
     * the JVM's own way (its shutdown hooks, then exit with 128 + its number). A second signal would
     * then reach these handlers as if it were the first and say "stopping every VM" for a run that
     * never starts, as one run of StopSignalsKvmTest in about 250 did. Asked after installing, so
     * a signal from then on reaches {@link #handle} instead.
     */
    private static boolean jvmExiting() {
        Thread probe = new Thread(() -> {});
        try {
            Runtime.getRuntime().addShutdownHook(probe);
        } catch (IllegalStateException e) {
            return true; // "Shutdown in progress"
        }
        Runtime.getRuntime().removeShutdownHook(probe);
        return false;
    }

    /** Holds the calling thread, so that it starts nothing (no files, no VMs) until the exit under way ends the JVM. */
    private static void awaitHalt() {
        while (true) {
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                // the JVM halts this thread with the others
            }
        }
    }

    private void handle(Signal signal) {
        Received now = new Received("SIG" + signal.getName(), signal.getNumber());
        if (jvmExiting()) {
            // The JVM is on its way out already (a signal before these handlers, or an exit whose
            // shutdown hooks take long): there is no run to stop, so this one ends it now.
            err.println("jkvm: " + now.name() + " while exiting: exiting now");
            err.flush();
            SuddenExit.halt(128 + now.number());
        }
        synchronized (this) {
            if (received != null) {
                err.println("jkvm: " + now.name() + " again: exiting now, without the summary or the recording");
                err.flush();
                SuddenExit.halt(128 + received.number()); // the run's temporary files and child processes go first
            }
            received = now;
        }
        // Stop first, then say so: the message must not delay the stop.
        Consumer<String> target = stop;
        if (target != null) target.accept(now.name());
        err.println("jkvm: " + now.name() + ": stopping every VM (send it again to exit at once)");
        err.flush();
    }

    /** From now on the first signal calls {@code target}; at once if one has come already. */
    void forwardTo(Consumer<String> target) {
        stop = target;
        Received r = received;
        if (r != null) target.accept(r.name());
    }

    /**
     * Says on {@code err} when SIGINT or SIGTERM cannot stop the run because the process was started
     * with it ignored, which jkvm (like the JVM and most tools) leaves as it is. A user who then sends
     * it would otherwise see nothing happen. SIGHUP ignored is nohup's purpose and goes unsaid.
     */
    void noteIgnored() {
        List<String> unstoppable = ignored.stream().filter(n -> !n.equals("SIGHUP")).toList();
        if (unstoppable.isEmpty()) return;
        List<String> working = installed.stream().map(sig -> "SIG" + sig.getName()).toList();
        err.println("jkvm: " + String.join(" and ", unstoppable) + (unstoppable.size() == 1 ? " is" : " are")
                + " ignored in this process (inherited, as a shell starts background jobs with SIGINT ignored) and will not stop it; "
                + (working.isEmpty() ? "only SIGKILL will" : String.join(" or ", working) + " will"));
        err.flush();
    }

    /** The first signal received, or null. */
    Received received() {
        return received;
    }

    /** Puts the JVM's own handlers back. Idempotent. */
    @Override
    public synchronized void close() {
        for (int i = 0; i < installed.size(); i++) Signal.handle(installed.get(i), previous.get(i));
        installed.clear();
        previous.clear();
    }
}
