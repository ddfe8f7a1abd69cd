package dev.jkvm.devices;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * A VM's serial output: kept whole for the run's report and, when a terminal is given, streamed
 * line by line with the VM's name in front ({@code vm0| Hello}). Lines of several VMs never
 * interleave inside a line because each complete line is printed under the terminal's lock.
 */
public final class SerialConsole implements SerialSink {
    private static final int MAX_LINE = 4096;

    private final String prefix;
    private final PrintWriter terminal;
    private final ByteArrayOutputStream all = new ByteArrayOutputStream();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    /** @param terminal where lines are streamed, or null to only keep them */
    public SerialConsole(String vmName, PrintWriter terminal) {
        this.prefix = vmName + "| ";
        this.terminal = terminal;
    }

    @Override
    public synchronized void write(byte b) {
        all.write(b);
        if (b == '\n') {
            flushLine();
        } else if (b != '\r') {
            // A guest that never prints a newline must not grow the buffer without bound.
            if (line.size() >= MAX_LINE) flushLine();
            line.write(b);
        }
    }

    /** Prints a last line that did not end in a newline. */
    public synchronized void finish() {
        if (line.size() > 0) flushLine();
    }

    /** Everything the guest wrote, exactly. */
    public synchronized String text() {
        return all.toString(StandardCharsets.UTF_8);
    }

    private void flushLine() {
        if (terminal != null) {
            String text = line.toString(StandardCharsets.UTF_8);
            synchronized (terminal) {
                terminal.println(prefix + text);
                terminal.flush();
            }
        }
        line.reset();
    }
}
