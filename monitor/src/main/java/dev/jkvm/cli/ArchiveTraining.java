package dev.jkvm.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tells the ./jkvm launcher that this process was a good class-data archive training run. The
 * launcher dumps the archive at the exit of `jkvm run`s until one of them has run guests: a run that
 * ends early (a usage error, no KVM) loads only the command line's classes, and an archive made from
 * it would be used, valid but without the KVM, FFM and experiment classes, until the next rebuild.
 * The launcher names the marker file in the system property {@value #PROPERTY}; without it (tests,
 * the sandbox, a JVM started by hand) nothing happens.
 */
final class ArchiveTraining {
    static final String PROPERTY = "jkvm.archive.trained";

    private ArchiveTraining() {}

    /** Called after a run in which guests ran: the archive dumped at this JVM's exit has what a run loads. */
    static void guestsRan() {
        String marker = System.getProperty(PROPERTY);
        if (marker == null || marker.isEmpty()) return;
        try {
            Files.writeString(Path.of(marker), "");
        } catch (java.io.IOException | RuntimeException e) {
            // Only start-up time is at stake: the next run trains again.
        }
    }
}
