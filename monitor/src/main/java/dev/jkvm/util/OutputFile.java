package dev.jkvm.util;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file or directory a command will write, tried before the work that produces it (the recording,
 * --junit, --html, --svg, bench's --json, --serial-out, the sandbox's directories), so a bad path is
 * a usage error at once rather than after a whole run or analysis, and each failure names its reason,
 * not just the path again; and the write itself, which names the option when it fails.
 */
public final class OutputFile {
    private OutputFile() {}

    /**
     * Why {@code file} cannot be written ("/x is not a directory", "permission denied", …), or null
     * when it can. Makes its missing parent directories and leaves the file as it was (made and removed
     * again when it was not there). A FIFO or a device is not opened (a FIFO's open waits for a reader,
     * which would take the close for the end of the data), only its permission checked. Whether
     * {@code file} is itself a directory is the caller's to say, in its own words.
     */
    public static String problem(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        for (Path p = parent; p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.isDirectory(p)) return p + " is not a directory";
        }
        try {
            if (parent != null) Files.createDirectories(parent);
            if (Files.exists(file) && !Files.isRegularFile(file)) {
                if (!Files.isWritable(file)) throw new AccessDeniedException(file.toString());
                return null;
            }
            boolean existed = Files.exists(file);
            try (OutputStream o = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                // Opened for writing without changing it.
            }
            if (!existed) Files.deleteIfExists(file);
            return null;
        } catch (IOException e) {
            return IoErrors.reason(e);
        }
    }

    /** A usage error unless {@code file}, named by {@code option}, can be written (see {@link #problem}). */
    public static void requireWritable(Path file, String option) {
        if (file.toString().isEmpty()) throw new UsageException(option + " needs a file name");
        if (Files.isDirectory(file)) throw new UsageException(option + " " + file + " is a directory; give a file name in it");
        String why = problem(file);
        if (why != null) throw new UsageException("cannot write " + option + " " + file + ": " + why);
    }

    /** Why new files cannot be made in {@code dir} (made when missing), or null when they can: one is made and removed. */
    public static String directoryProblem(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.delete(Files.createTempFile(dir, ".jkvm-probe-", ""));
            return null;
        } catch (IOException e) {
            return IoErrors.reason(e);
        }
    }

    /** Writes {@code text} to {@code file}, making its directory; a failure names {@code what} and the reason. */
    public static void write(Path file, String text, String what) throws NotWritten {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.writeString(file, text);
        } catch (IOException e) {
            try { // a file cut short (a full disk) is no output at all; a device written to is left alone
                if (Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // the message below says the file was not written
            }
            throw new NotWritten("cannot write " + what + " " + file + ": " + IoErrors.reason(e));
        }
    }

    /** A file of the command's output could not be written after its work was done (a full disk, an I/O error). */
    public static final class NotWritten extends IOException {
        NotWritten(String message) {
            super(message);
        }
    }
}
