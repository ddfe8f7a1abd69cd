package dev.jkvm.sandbox;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Optional;

/**
 * The guest console (kernel and init messages on ttyS0) and QEMU's own complaints, written in full
 * to a file and kept in memory as a short tail for error messages. The init script prefixes its
 * errors with {@code jkvm-init: error:}; the last such line is kept so a failure before the control
 * port existed can still be named.
 */
final class ConsoleLog implements AutoCloseable {
    static final String INIT_ERROR_PREFIX = "jkvm-init: error: ";
    private static final int TAIL_LINES = 40;

    private final Path file;
    private final OutputStream out;
    private final ArrayDeque<String> tail = new ArrayDeque<>();
    private final StringBuilder partial = new StringBuilder();
    private String initError;

    ConsoleLog(Path file) throws IOException {
        this.file = file;
        this.out = new BufferedOutputStream(Files.newOutputStream(file), 8192);
    }

    Path file() {
        return file;
    }

    /** Raw console bytes from the guest. */
    synchronized void console(byte[] data, int off, int len) {
        try {
            out.write(data, off, len);
            out.flush();
        } catch (IOException ignored) {
            // The log is a convenience; the run goes on without it.
        }
        String text = new String(data, off, len, StandardCharsets.UTF_8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') {
                line(partial.toString());
                partial.setLength(0);
            } else if (c != '\r') {
                partial.append(c);
            }
        }
    }

    /** A line QEMU wrote to its stderr. */
    synchronized void qemu(String line) {
        String l = "qemu: " + line;
        try {
            out.write((l + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException ignored) {
            // as above
        }
        line(l);
    }

    private void line(String l) {
        int at = l.indexOf(INIT_ERROR_PREFIX);
        if (at >= 0) initError = l.substring(at + INIT_ERROR_PREFIX.length()).strip();
        tail.addLast(l);
        while (tail.size() > TAIL_LINES) tail.removeFirst();
    }

    /** The last lines, including an unterminated last line. */
    synchronized String tail() {
        StringBuilder s = new StringBuilder();
        for (String l : tail) s.append(l).append('\n');
        if (!partial.isEmpty()) s.append(partial).append('\n');
        return s.toString();
    }

    /** The last error the init script reported on the console. */
    synchronized Optional<String> initError() {
        return Optional.ofNullable(initError);
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
