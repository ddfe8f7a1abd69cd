package dev.jkvm.util;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The exit that runs no shutdown hooks ({@link Runtime#halt}): a second stop signal ends jkvm at once,
 * however stuck the clean stop is. Without hooks nothing else would remove the run's temporary files,
 * JFR's disk repository (a directory in {@code java.io.tmpdir} per JVM, which JFR deletes only from
 * its own hook, and keeps when told to with {@code preserve-repository=true}: so does this), or end
 * its child processes, which spin pinned to the experiment CPU. So their owners
 * register them here for as long as they exist, and {@link #halt} ends and deletes them first.
 *
 * <p>Only what is cheap and cannot hang: deleting a few files and sending SIGKILL. Thread-safe.
 */
public final class SuddenExit {
    private static final Set<Path> FILES = ConcurrentHashMap.newKeySet();
    private static final Set<Process> PROCESSES = ConcurrentHashMap.newKeySet();

    private SuddenExit() {}

    /** {@code file}, temporary, is deleted by {@link #halt} until {@link #forget(Path)}. */
    public static void deleteOnHalt(Path file) {
        FILES.add(file);
    }

    public static void forget(Path file) {
        FILES.remove(file);
    }

    /** {@code p}, a child of this run, is killed by {@link #halt} until {@link #forget(Process)}. */
    public static void killOnHalt(Process p) {
        PROCESSES.add(p);
    }

    public static void forget(Process p) {
        PROCESSES.remove(p);
    }

    /** Kills the registered processes, deletes the registered files and JFR's repository, then halts with {@code status}. */
    public static void halt(int status) {
        cleanUp();
        Runtime.getRuntime().halt(status);
    }

    /** What {@link #halt} does before halting; each step on its own, so one failure leaves the rest to do. */
    static void cleanUp() {
        for (Process p : PROCESSES) p.destroyForcibly();
        for (Path f : FILES) deleteQuietly(f);
        String repository = System.getProperty("jdk.jfr.repository"); // set by JFR once it made its repository
        if (repository != null && !repositoryPreserved()) deleteRepository(Path.of(repository));
    }

    /** Whether the JVM was told to keep JFR's repository at exit ({@code -XX:FlightRecorderOptions=preserve-repository=true}). */
    static boolean repositoryPreserved() {
        StringBuilder options = new StringBuilder();
        try {
            options.append(new String(Files.readAllBytes(Path.of("/proc/self/cmdline")), java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            // not readable: the environment's options still count
        }
        for (String variable : new String[] {"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS"}) {
            String v = System.getenv(variable);
            if (v != null) options.append(' ').append(v);
        }
        return options.toString().contains("preserve-repository=true");
    }

    /** JFR's repository holds its chunk files (and nothing below them); deleted as JFR's own hook would. */
    private static void deleteRepository(Path dir) {
        try (DirectoryStream<Path> chunks = Files.newDirectoryStream(dir)) {
            for (Path chunk : chunks) deleteQuietly(chunk);
        } catch (IOException | RuntimeException e) {
            return; // gone or unreadable: nothing more to do
        }
        deleteQuietly(dir);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException | RuntimeException e) {
            // Exiting anyway: what cannot be deleted stays, named by its pid suffix.
        }
    }
}
