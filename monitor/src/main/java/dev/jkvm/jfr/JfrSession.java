package dev.jkvm.jfr;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import jdk.jfr.Recording;

/** Starts and finishes the experiment's JFR recording with a jkvm profile. */
public final class JfrSession {
    private JfrSession() {}

    /** Starts a recording to {@code file} with profile {@code profile}, or returns null when {@code file} is null. */
    public static Recording start(Path file, String profile) {
        if (file == null) return null;
        Recording r = new Recording(JfrProfiles.load(profile == null ? JfrProfiles.SCHED : profile));
        r.setName("jkvm");
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            r.setDestination(file);
        } catch (IOException e) {
            r.close();
            throw new dev.jkvm.util.UsageException("cannot write the recording to " + file + ": " + e.getMessage());
        }
        r.start();
        return r;
    }

    /** Stops the recording, which writes it to its destination, and says where it is. */
    public static void finish(Recording r, Path file, PrintWriter out) {
        r.stop();
        try {
            out.printf("jkvm: recording written to %s (%d KiB)%n", file, Files.size(file) >> 10);
        } catch (IOException e) {
            throw new UncheckedIOException("the recording was not written to " + file, e);
        }
        out.flush();
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
            throw new UncheckedIOException("the timeline could not be appended to " + file
                    + " (the JVM's part of the recording is intact)", e);
        }
        out.flush();
    }
}
