package dev.jkvm.cli;

import dev.jkvm.util.IoErrors;
import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The files a command writes besides the recording (--junit, --html, --svg, bench's --json): each is
 * tried before the work that produces it, so a bad path is a usage error at once rather than after
 * a whole run or analysis, and each failure names its reason, not just the path again.
 */
final class OutputFiles {
    private OutputFiles() {}

    /**
     * A usage error unless {@code file} can be written: a name is given, it is not a directory, its
     * parents are directories (made when missing) and opening it for writing works. The file is
     * left as it was (made and removed again when it was not there). A FIFO or a device is not
     * opened (a FIFO's open waits for a reader), only its permission checked.
     */
    static void requireWritable(Path file, String option) {
        if (file.toString().isEmpty()) throw new UsageException(option + " needs a file name");
        if (Files.isDirectory(file)) throw new UsageException(option + " " + file + " is a directory; give a file name in it");
        Path parent = file.toAbsolutePath().getParent();
        for (Path p = parent; p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.isDirectory(p)) throw new UsageException("cannot write " + option + " " + file + ": " + p + " is not a directory");
        }
        try {
            if (parent != null) Files.createDirectories(parent);
            if (Files.exists(file) && !Files.isRegularFile(file)) {
                if (!Files.isWritable(file)) throw new AccessDeniedException(file.toString());
                return;
            }
            boolean existed = Files.exists(file);
            try (OutputStream o = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                // Opened for writing without changing it.
            }
            if (!existed) Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UsageException("cannot write " + option + " " + file + ": " + IoErrors.reason(e));
        }
    }

    /** Writes {@code text} to {@code file}, making its directory; an I/O failure says which option's file and why. */
    static void write(Path file, String text, String option) throws OutputNotWritten {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new OutputNotWritten("cannot write " + option + " " + file + ": " + IoErrors.reason(e));
        }
    }

    /** A file of the command's output could not be written after its work was done (a full disk, an I/O error). */
    static final class OutputNotWritten extends Exception {
        OutputNotWritten(String message) {
            super(message);
        }
    }
}
