package dev.jkvm.jfr;

import dev.jkvm.util.IoErrors;
import dev.jkvm.util.OutputFile;
import dev.jkvm.util.SuddenExit;
import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import jdk.jfr.Recording;

/** Starts and finishes the experiment's JFR recording with a jkvm profile. */
public final class JfrSession {
    private JfrSession() {}

    /** Starts a recording for {@code file} with profile {@code profile}, or returns null when {@code file} is null. */
    public static Recording start(Path file, String profile) {
        if (file == null) return null;
        requireWritable(file);
        Recording r;
        try {
            r = new Recording(JfrProfiles.load(profile == null ? JfrProfiles.SCHED : profile));
        } catch (IllegalStateException e) {
            throw cannotStart(e);
        }
        r.setName("jkvm");
        JkvmEventTypes.registerAll(); // before start: one metadata event for the whole chunk
        try {
            r.start();
        } catch (IllegalStateException e) {
            r.close();
            throw cannotStart(e);
        }
        return r;
    }

    /**
     * JFR refused to start, typically because its repository, a directory under java.io.tmpdir, cannot
     * be made there ("Can't create Flight Recorder. JFR repository directory (/tmp) exists, but isn't
     * writable"): the user's environment, said as such rather than as an internal error.
     */
    private static UsageException cannotStart(IllegalStateException e) {
        String why = String.valueOf(e.getMessage()).replaceFirst("^Can't create Flight Recorder\\. *", "");
        return new UsageException("cannot start the JFR recording: " + why + " (JFR keeps its repository under java.io.tmpdir, "
                + System.getProperty("java.io.tmpdir") + "; make it writable or choose another with JKVM_JAVA_OPTS=-Djava.io.tmpdir=DIR)");
    }

    /**
     * Fails with a usage error, before anything starts, when {@code file} cannot be written: a
     * read-only or missing directory, a directory in its place, no permission. Creates the file
     * and removes it again when it did not exist, so a run that never gets to {@link #write} leaves
     * nothing behind.
     */
    public static void requireWritable(Path file) {
        if (file.toString().isEmpty()) throw new UsageException("--jfr needs a file name, e.g. --jfr run.jfr");
        if (Files.isDirectory(file)) {
            throw new UsageException("cannot write the recording to " + file + ": it is a directory; give a file name such as " + file.resolve("run.jfr"));
        }
        String why = OutputFile.problem(file);
        if (why != null) throw new UsageException("cannot write the recording to " + file + ": " + why + "; choose another --jfr path");
        // The recording is written under a hidden name beside it and the timeline spills there too:
        // a file that may be rewritten in a directory that takes no new files fails here, not after the run.
        Path spill = JkvmTimeline.spillFile(file);
        try {
            Files.newOutputStream(spill, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
            Files.delete(spill);
        } catch (IOException e) {
            throw new UsageException("cannot write the recording to " + file + ": cannot create files in " + spill.getParent() + " ("
                    + IoErrors.reason(e) + "), where the recording is put together before it takes its name; choose another --jfr path");
        }
    }

    /**
     * Stops the recording and writes it, with the run's {@code timeline} (may be null) appended, to
     * {@code file}, then says where it is. The write is checked: a failure (no space left, I/O error)
     * throws {@link NotWritten} with the reason and what was kept, and nothing claims success.
     *
     * <p>{@code file} only ever appears whole: the recording is written beside it under a hidden name
     * and renamed at the end, so a failed write never leaves a truncated file under the name the user
     * asked for (nor destroys an older recording of that name). When the write fails, what can be kept
     * is kept: the complete chunks written before the failure (cut back to them, so every reader opens
     * it) under {@link #partialName}, and, when the JVM's part itself could not be written there, a
     * copy of the whole recording in {@code java.io.tmpdir} if that is another file system.
     */
    public static void write(Recording r, JkvmTimeline timeline, Path file, PrintWriter out) {
        write(r, timeline, file, Path.of(System.getProperty("java.io.tmpdir")), out);
    }

    static void write(Recording r, JkvmTimeline timeline, Path file, Path elsewhere, PrintWriter out) {
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            writeInPlace(r, timeline, file, out);
            return;
        }
        Path part = hiddenPart(file);
        SuddenExit.deleteOnHalt(part);
        try {
            r.stop();
            boolean dumped = false;
            try {
                r.dump(part);
                dumped = true;
                JkvmTimeline.Appended appended = timeline == null ? null : timeline.appendTo(part);
                Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                out.printf("jkvm: recording written to %s (%d KiB)%n", file, Files.size(file) >> 10);
                if (appended != null) {
                    out.printf("jkvm: %d events at their kernel time appended to %s (%d KiB); clock reference ±%d ns"
                                    + " (%d references, %d ns apart)%n", appended.events(), file, appended.bytes() >> 10,
                            appended.clock().uncertaintyNanos(), appended.clock().references(), appended.clock().spreadNanos());
                }
                out.flush();
            } catch (IOException | RuntimeException e) {
                String reason = e instanceof IOException io ? IoErrors.reason(io) : String.valueOf(e.getMessage());
                String what = dumped ? "the events at their kernel time were not appended to the recording " + file
                        : "the recording was not written to " + file;
                String kept = keepPartial(part, file);
                // The timeline was not appended yet when the JVM's part failed: the whole can still go elsewhere.
                String copy = dumped ? null : copyElsewhere(r, timeline, file, elsewhere);
                throw new NotWritten(what + ": " + reason + "; " + (copy != null ? copy + "; " : "") + kept);
            }
        } catch (IllegalStateException e) {
            throw new NotWritten("the recording was not written to " + file + ": " + e.getMessage());
        } finally {
            r.close();
            if (timeline != null) timeline.close();
            deleteQuietly(part);
            SuddenExit.forget(part);
        }
    }

    /**
     * A device or pipe (/dev/null, /dev/full, a FIFO) cannot be renamed onto, and JFR's dump cannot
     * write into a FIFO (it seeks): the whole recording, timeline appended, is put together in
     * java.io.tmpdir and then copied into {@code file}. When the copy fails the whole recording stays
     * there and the error says where.
     */
    private static void writeInPlace(Recording r, JkvmTimeline timeline, Path file, PrintWriter out) {
        Path part = Path.of(System.getProperty("java.io.tmpdir")).resolve(hiddenPart(file).getFileName());
        SuddenExit.deleteOnHalt(part);
        boolean whole = false;
        try {
            r.stop();
            r.dump(part);
            JkvmTimeline.Appended appended = timeline == null ? null : timeline.appendTo(part);
            whole = true;
            try (OutputStream o = Files.newOutputStream(file, StandardOpenOption.WRITE)) {
                Files.copy(part, o);
            }
            out.printf("jkvm: recording written to %s (%d KiB%s)%n", file, Files.size(part) >> 10,
                    appended == null ? "" : ", " + appended.events() + " events at their kernel time appended");
            out.flush();
            deleteQuietly(part);
        } catch (IOException | RuntimeException e) {
            String reason = e instanceof IOException io ? IoErrors.reason(io) : String.valueOf(e.getMessage());
            if (!whole) deleteQuietly(part);
            throw new NotWritten("the recording was not written to " + file + ": " + reason
                    + (whole ? "; the whole recording is in " + part : ""));
        } finally {
            r.close();
            if (timeline != null) timeline.close();
            SuddenExit.forget(part);
        }
    }

    /** Where the complete chunks of a failed write of {@code file} are kept: {@code run.jfr} → {@code run.partial.jfr}. */
    public static Path partialName(Path file) {
        String name = file.getFileName().toString();
        String base = name.endsWith(".jfr") ? name.substring(0, name.length() - 4) : name;
        return file.resolveSibling(base + ".partial.jfr");
    }

    private static Path hiddenPart(Path file) {
        Path abs = file.toAbsolutePath();
        return abs.resolveSibling("." + abs.getFileName() + ".part-" + ProcessHandle.current().pid());
    }

    /** Cuts the failed write back to its complete chunks and keeps them under the partial name; says what it kept. */
    private static String keepPartial(Path part, Path file) {
        Path partial = partialName(file);
        try {
            if (!Files.exists(part)) return "nothing of it was written";
            JfrChunks.Complete c = JfrChunks.keepComplete(part);
            if (c.chunks() == 0) return "not one complete chunk of it was written, so nothing was kept there";
            Files.move(part, partial, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return String.format("the part written before the failure (%d complete chunk%s, %d KiB, events up to %s) is in %s",
                    c.chunks(), c.chunks() == 1 ? "" : "s", c.bytes() >> 10, timeOfDay(c.endEpochNanos()), partial);
        } catch (IOException e) {
            return "the part written before the failure could not be kept: " + IoErrors.reason(e);
        }
    }

    /** Writes the whole recording into {@code dir} when that is another file system than {@code file}'s; says where, or null. */
    private static String copyElsewhere(Recording r, JkvmTimeline timeline, Path file, Path dir) {
        if (dir == null) return null;
        Path copy = dir.resolve("jkvm-" + ProcessHandle.current().pid() + "-" + file.getFileName());
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (!Files.isDirectory(dir) || Files.getFileStore(dir).equals(Files.getFileStore(parent))) return null;
            r.dump(copy);
            String timelineNote = "";
            if (timeline != null) {
                try {
                    timeline.appendTo(copy);
                } catch (IOException | RuntimeException e) {
                    timelineNote = " (without the events at their kernel time: "
                            + (e instanceof IOException io ? IoErrors.reason(io) : e.getMessage()) + ")";
                }
            }
            return "the whole recording was written to " + copy + " instead" + timelineNote;
        } catch (IOException | RuntimeException e) {
            deleteQuietly(copy);
            return null;
        }
    }

    private static String timeOfDay(long epochNanos) {
        return java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(java.time.ZoneId.systemDefault())
                .format(java.time.Instant.ofEpochSecond(0, epochNanos));
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // Best effort: a hidden leftover beside the recording is named by its ".part-PID" suffix.
        }
    }

    /** The recording could not be written; the message names the file and the reason. */
    public static final class NotWritten extends RuntimeException {
        public NotWritten(String message) {
            super(message);
        }
    }
}
