package dev.jkvm.devices;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * A VM's serial output: streamed line by line with the VM's name in front ({@code vm0| Hello}) when a
 * terminal is given, all of it (up to a cap) to a {@link SerialLog} file when one is given, and its
 * last {@link #TAIL_BYTES} bytes kept for the run's report. A guest can
 * write for as long as it runs, so what is kept is bounded: older bytes are counted, not kept. Lines
 * of several VMs never interleave inside a line because each complete line is printed under the
 * terminal's lock.
 */
public final class SerialConsole implements SerialSink {
    private static final int MAX_LINE = 4096;
    /** Bytes of output kept per VM for the report (the newest ones). */
    public static final int TAIL_BYTES = 64 << 10;

    private final String prefix;
    private final PrintWriter terminal;
    private byte[] tail = new byte[0]; // grows to TAIL_BYTES: a quiet guest costs nothing
    private long written;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    private final SerialLog log;

    /** @param terminal where lines are streamed, or null to only keep them */
    public SerialConsole(String vmName, PrintWriter terminal) {
        this(vmName, terminal, null);
    }

    /**
     * @param terminal where lines are streamed, or null
     * @param log      the file that gets every byte (up to its cap), or null
     */
    public SerialConsole(String vmName, PrintWriter terminal, SerialLog log) {
        this.prefix = vmName + "| ";
        this.terminal = terminal;
        this.log = log;
    }

    /** The file of the whole output, or null. */
    public SerialLog log() {
        return log;
    }

    @Override
    public synchronized void write(byte b) {
        if (written == tail.length && tail.length < TAIL_BYTES) {
            tail = java.util.Arrays.copyOf(tail, Math.min(TAIL_BYTES, Math.max(256, 2 * tail.length)));
        }
        tail[(int) (written % TAIL_BYTES)] = b;
        written++;
        if (log != null) log.write(b);
        if (terminal == null) return;
        if (b == '\n') {
            flushLine();
        } else if (b != '\r') {
            // A guest that never prints a newline must not grow the buffer without bound.
            if (line.size() >= MAX_LINE) flushLine();
            line.write(b);
        }
    }

    /** Prints a last line that did not end in a newline and closes the file of the output. Call after the vCPU thread ended. */
    public synchronized void finish() {
        if (line.size() > 0) flushLine();
        if (log != null) log.close();
    }

    /** Bytes the guest wrote in all. */
    public synchronized long bytesWritten() {
        return written;
    }

    /** Bytes written but no longer kept (everything before the tail). */
    public synchronized long bytesDropped() {
        return Math.max(0, written - TAIL_BYTES);
    }

    /**
     * What the guest wrote, exactly, when it wrote at most {@link #TAIL_BYTES}; otherwise a first line
     * saying how many bytes were not kept, then the last {@link #TAIL_BYTES}.
     */
    public synchronized String text() {
        if (written <= TAIL_BYTES) return new String(tail, 0, (int) written, StandardCharsets.UTF_8);
        int start = (int) (written % TAIL_BYTES);
        byte[] ordered = new byte[TAIL_BYTES];
        System.arraycopy(tail, start, ordered, 0, TAIL_BYTES - start);
        System.arraycopy(tail, 0, ordered, TAIL_BYTES - start, start);
        return "[jkvm: " + bytesDropped() + " earlier bytes of serial output not kept]\n"
                + new String(ordered, StandardCharsets.UTF_8);
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
