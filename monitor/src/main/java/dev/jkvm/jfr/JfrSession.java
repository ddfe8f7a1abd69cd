package dev.jkvm.jfr;

import dev.jkvm.util.IoErrors;
import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import jdk.jfr.Recording;

/** Starts and finishes the experiment's JFR recording with a jkvm profile. */
public final class JfrSession {
    private JfrSession() {}

    /** Starts a recording for {@code file} with profile {@code profile}, or returns null when {@code file} is null. */
    public static Recording start(Path file, String profile) {
        if (file == null) return null;
        requireWritable(file);
        Recording r = new Recording(JfrProfiles.load(profile == null ? JfrProfiles.SCHED : profile));
        r.setName("jkvm");
        JkvmEventTypes.registerAll(); // before start: one metadata event for the whole chunk
        r.start();
        return r;
    }

    /**
     * Fails with a usage error, before anything starts, when {@code file} cannot be written: a
     * read-only or missing directory, a directory in its place, no permission. Creates the file
     * and removes it again when it did not exist, so a run that never gets to {@link #finish} leaves
     * nothing behind.
     */
    public static void requireWritable(Path file) {
        if (file.toString().isEmpty()) throw new UsageException("--jfr needs a file name, e.g. --jfr run.jfr");
        Path parent = file.toAbsolutePath().getParent();
        for (Path p = parent; p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.isDirectory(p)) {
                throw new UsageException("cannot write the recording to " + file + ": " + p + " is not a directory; choose another --jfr path");
            }
        }
        if (Files.isDirectory(file)) {
            throw new UsageException("cannot write the recording to " + file + ": it is a directory; give a file name such as " + file.resolve("run.jfr"));
        }
        try {
            if (parent != null) Files.createDirectories(parent);
            boolean existed = Files.exists(file);
            try (OutputStream o = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                // Opened for writing without changing it: the place is writable.
            }
            if (!existed) Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UsageException("cannot write the recording to " + file + ": " + IoErrors.reason(e) + "; choose another --jfr path");
        }
    }

    /**
     * Stops the recording and writes it to {@code file}, then says where it is. The write is
     * checked: a failure (no space left, I/O error) throws {@link NotWritten} with the reason, and
     * nothing claims success.
     */
    public static void finish(Recording r, Path file, PrintWriter out) {
        try {
            r.stop();
            r.dump(file);
            out.printf("jkvm: recording written to %s (%d KiB)%n", file, Files.size(file) >> 10);
            out.flush();
        } catch (IOException | IllegalStateException e) {
            String reason = e instanceof IOException io ? IoErrors.reason(io) : String.valueOf(e.getMessage());
            throw new NotWritten("the recording was not written to " + file + ": " + reason);
        } finally {
            r.close();
        }
    }

    /** The recording could not be written; the message names the file and the reason. */
    public static final class NotWritten extends RuntimeException {
        public NotWritten(String message) {
            super(message);
        }
    }

    /**
     * Appends the run's timeline (events at their kernel time, on their threads) to the recording
     * the JVM wrote, and says how well it lines up with the JVM's own events.
     */
    public static void appendTimeline(JkvmTimeline timeline, Path file, PrintWriter out) {
        try {
            JkvmTimeline.Appended a = timeline.appendTo(file);
            out.printf("jkvm: %d events at their kernel time appended to %s (%d KiB); clock reference ±%d ns"
                            + " (%d references, %d ns apart)%n", a.events(), file, a.bytes() >> 10, a.clock().uncertaintyNanos(),
                    a.clock().references(), a.clock().spreadNanos());
        } catch (IOException e) {
            throw new NotWritten("the timeline could not be appended to " + file + ": " + IoErrors.reason(e)
                    + " (the JVM's part of the recording is intact)");
        }
        out.flush();
    }
}
