package dev.jkvm.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The files one command reads and writes, each with the words that name it for the user: a usage
 * error, before anything is written, when an output is an input or another output. Without it
 * `analyze run.jfr --html run.jfr` replaced the recording with the page, and `run --jfr image.elf`
 * the guest image with the recording, both with exit 0.
 *
 * <p>The same file under two names counts as one: an existing file by its identity (device and inode,
 * through symbolic and hard links), one still to be made by its real directory and name.
 */
public final class DistinctFiles {
    private final Map<Object, String> seen = new HashMap<>();

    /** A file the command reads; {@code what} names it, e.g. "the recording analyzed". */
    public DistinctFiles input(Path file, String what) {
        seen.putIfAbsent(identity(file), what + " " + file);
        return this;
    }

    /** A file the command writes; a usage error when an input or an output added before is the same file. */
    public DistinctFiles output(Path file, String what) {
        String before = seen.putIfAbsent(identity(file), what + " " + file);
        if (before != null) {
            throw new UsageException(what + " " + file + " is the same file as " + before + "; give each its own file");
        }
        return this;
    }

    /** What identifies {@code file}: its file key when it exists, else its directory's real path and its name. */
    static Object identity(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        try {
            Object key = Files.readAttributes(abs, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            if (key != null) return key;
        } catch (IOException e) {
            // Not there (yet): named by where it would be made.
        }
        Path parent = abs.getParent();
        if (parent == null || abs.getFileName() == null) return abs;
        try {
            return parent.toRealPath().resolve(abs.getFileName());
        } catch (IOException e) {
            return abs;
        }
    }
}
