package dev.jkvm.cli;

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
 * that code, without the summary or the recording: the way out when the clean stop itself hangs.
 * SIGHUP (the terminal went away) is treated like SIGTERM, so a run in a closed terminal or ssh
 * session still leaves a complete recording. The JVM's own handlers are put back by {@link #close}.
 */
final class StopSignals implements AutoCloseable {
    /** The signal that stopped the run. */
    record Received(String name, int number) {}

    private static final List<String> NAMES = List.of("INT", "TERM", "HUP");

    private final Consumer<String> stop;
    private final PrintWriter err;
    private final List<Signal> installed = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();
    private volatile Received received;

    private StopSignals(Consumer<String> stop, PrintWriter err) {
        this.stop = stop;
        this.err = err;
    }

    /** Installs the handlers; {@code stop} is called once, with the reason, on the first signal. */
    static StopSignals install(Consumer<String> stop, PrintWriter err) {
        StopSignals s = new StopSignals(stop, err);
        for (String name : NAMES) {
            Signal signal = new Signal(name);
            try {
                s.previous.add(Signal.handle(signal, s::handle));
                s.installed.add(signal);
            } catch (IllegalArgumentException e) {
                // The signal is ignored (e.g. SIGHUP under nohup) or reserved by the JVM: leave it be.
            }
        }
        return s;
    }

    private void handle(Signal signal) {
        Received now = new Received("SIG" + signal.getName(), signal.getNumber());
        synchronized (this) {
            if (received != null) {
                err.println("jkvm: " + now.name() + " again: exiting now, without the summary or the recording");
                err.flush();
                Runtime.getRuntime().halt(128 + received.number());
            }
            received = now;
        }
        err.println("jkvm: " + now.name() + ": stopping every VM (send it again to exit at once)");
        err.flush();
        stop.accept(now.name());
    }

    /** The first signal received, or null. */
    Received received() {
        return received;
    }

    @Override
    public void close() {
        for (int i = 0; i < installed.size(); i++) Signal.handle(installed.get(i), previous.get(i));
    }
}
