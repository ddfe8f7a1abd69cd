package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ./jkvm launcher's class-data archive, run from a copy of the install: `jkvm run` writes it,
 * later launches load jkvm's classes from it once a run has run guests (the JVM's own class-loading log says where
 * each class came from), and where no archive can be written jkvm runs the same without one. In every
 * case stdout is exactly what the command prints in process: no JVM line ever reaches it.
 */
class LauncherArchiveTest {
    private static final String MAIN_FROM_ARCHIVE = "dev.jkvm.cli.Main source: shared objects file";

    record Launch(int code, String out, String classLoadLog) {}

    /** Runs the launcher in {@code root} with the JVM's class-loading log in {@code log}; {@code wrap} goes before it (e.g. a mount namespace). */
    private static Launch launch(Path root, Path cacheHome, Path log, List<String> wrap, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(wrap);
        cmd.add(root.resolve("jkvm").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = pb.environment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("XDG_CACHE_HOME", cacheHome.toString());
        env.put("JKVM_JAVA_OPTS", "-Xlog:class+load=info:file=" + log);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        return new Launch(code, out, Files.exists(log) ? Files.readString(log) : "");
    }

    private static String inProcess(String... args) {
        return MainUsageTest.jkvm(args).out();
    }

    private static List<Path> archivesUnder(Path... dirs) throws IOException {
        List<Path> found = new ArrayList<>();
        for (Path d : dirs) {
            if (!Files.isDirectory(d)) continue;
            try (Stream<Path> s = Files.walk(d)) {
                s.filter(f -> f.toString().endsWith(".jsa") && Files.isRegularFile(f)).forEach(found::add);
            }
        }
        return found;
    }

    /**
     * A run dumps the archive at its exit; it is used once a run has run guests (ArchiveTraining's
     * marker, written here as such a run writes it: this test needs no KVM), and not while no run has.
     */
    @Test
    void runsWriteTheArchiveAndLaterLaunchesUseItOnceARunRanGuests(@TempDir Path root, @TempDir Path cache, @TempDir Path logs) throws Exception {
        Path jar = LauncherFlagsTest.installCopy(root);
        Path jsa = root.resolve("monitor/target/jkvm.jsa");
        Launch first = launch(root, cache, logs.resolve("1.log"), List.of(), "run", "--help");
        assertEquals(0, first.code(), first.out());
        assertEquals(inProcess("run", "--help"), first.out());
        assertFalse(first.classLoadLog().contains(MAIN_FROM_ARCHIVE), "no archive yet, but Main came from one");
        assertEquals(List.of(jsa), archivesUnder(root, cache), "the archive sits beside the jar");
        assertFalse(Files.exists(Path.of(jsa + ".trained")), "no guest ran, yet the archive is marked trained");

        Launch untrained = launch(root, cache, logs.resolve("2.log"), List.of(), "guests");
        assertEquals(0, untrained.code(), untrained.out());
        assertEquals(inProcess("guests"), untrained.out());
        assertFalse(untrained.classLoadLog().contains(MAIN_FROM_ARCHIVE), "an archive from a run without guests was used");

        Files.writeString(Path.of(jsa + ".trained"), "");
        Launch trained = launch(root, cache, logs.resolve("3.log"), List.of(), "guests");
        assertEquals(0, trained.code(), trained.out());
        assertEquals(inProcess("guests"), trained.out());
        assertTrue(trained.classLoadLog().contains(MAIN_FROM_ARCHIVE), "Main was not loaded from the archive");
        // picocli's classes too (the build rewrites them as a class-file version the archive takes): the
        // command the archive was trained with loads every one of them from it, none from its jar.
        Launch again = launch(root, cache, logs.resolve("3b.log"), List.of(), "run", "--help");
        assertEquals(inProcess("run", "--help"), again.out());
        List<String> picocli = again.classLoadLog().lines().filter(l -> l.contains(" picocli.")).toList();
        assertEquals(List.of(), picocli.stream().filter(l -> !l.contains("source: shared objects file")).toList(),
                "picocli classes loaded from elsewhere than the archive");
        assertTrue(picocli.size() > 50, "only " + picocli.size() + " picocli classes loaded");

        // A jar newer than the training (rebuilt by hand): not used until a run trains again.
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        Launch rebuilt = launch(root, cache, logs.resolve("4.log"), List.of(), "guests");
        assertEquals(0, rebuilt.code(), rebuilt.out());
        assertEquals(inProcess("guests"), rebuilt.out());
        assertFalse(rebuilt.classLoadLog().contains(MAIN_FROM_ARCHIVE), "an archive older than the jar was used");
    }

    /** A path the JVM can neither map nor write (a directory with a file in it where the archive would be): the same output, no archive. */
    @Test
    void jkvmRunsTheSameWhenTheArchiveCannotBeWritten(@TempDir Path root, @TempDir Path cache, @TempDir Path logs) throws Exception {
        LauncherFlagsTest.installCopy(root);
        // Not empty: the JVM removes what is at the archive's path before writing, an empty directory too.
        Files.writeString(Files.createDirectory(root.resolve("monitor/target/jkvm.jsa")).resolve("keep"), "");
        for (int i = 0; i < 2; i++) {
            Launch run = launch(root, cache, logs.resolve("run" + i + ".log"), List.of(), "run", "--help");
            assertEquals(0, run.code(), run.out());
            assertEquals(inProcess("run", "--help"), run.out());
            Launch guests = launch(root, cache, logs.resolve("guests" + i + ".log"), List.of(), "guests");
            assertEquals(0, guests.code(), guests.out());
            assertEquals(inProcess("guests"), guests.out());
            assertFalse(guests.classLoadLog().contains(MAIN_FROM_ARCHIVE), "an archive was used");
        }
        assertEquals(List.of(), archivesUnder(root, cache));
    }

    /** The launcher's command made read-only for it as {@link #aReadOnlyInstallKeepsItsArchiveInTheUsersCache} does. */
    private static List<String> readOnly(Path root) {
        if ("root".equals(System.getProperty("user.name"))) {
            return List.of("unshare", "-m", "bash", "-c",
                    "mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" && exec \"$@\"", root.toString());
        }
        root.toFile().setWritable(false, false);
        return List.of();
    }

    /**
     * A read-only install whose sources are newer than its jar (pulled, not rebuilt): Maven could only
     * fail there, so the launcher runs the jar as built with a warning; without a jar it says what to do.
     */
    @Test
    void aReadOnlyInstallWithNewerSourcesRunsItsJarOrSaysWhyItCannot(@TempDir Path root, @TempDir Path cache, @TempDir Path logs) throws Exception {
        Path jar = LauncherFlagsTest.installCopy(root);
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 3_600_000L));
        Files.writeString(Files.createDirectories(root.resolve("monitor/src/main/java")).resolve("Newer.java"), "class Newer {}\n");
        try {
            ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(readOnly(root)) {{ add(root.resolve("jkvm").toString()); add("guests"); }});
            pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
            pb.environment().put("XDG_CACHE_HOME", cache.toString());
            Process p = pb.redirectError(logs.resolve("err").toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), out + Files.readString(logs.resolve("err")));
            assertEquals(inProcess("guests"), out);
            String err = Files.readString(logs.resolve("err"));
            assertTrue(err.startsWith("jkvm: warning: sources in " + root + " are newer than " + jar), err);
            assertFalse(err.contains("building") || err.contains("ERROR"), err);

            root.toFile().setWritable(true, false);
            Files.delete(jar);
            pb = new ProcessBuilder(new ArrayList<>(readOnly(root)) {{ add(root.resolve("jkvm").toString()); add("guests"); }});
            pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
            p = pb.redirectError(logs.resolve("err2").toFile()).start();
            assertEquals("", new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            assertEquals(1, p.waitFor());
            err = Files.readString(logs.resolve("err2")).strip();
            assertEquals(1, err.lines().count(), err);
            assertTrue(err.startsWith("jkvm: " + jar + " is missing and " + root + " is not writable by "), err);
        } finally {
            root.toFile().setWritable(true, false);
        }
    }

    /**
     * A read-only install (a read-only bind mount in a private mount namespace when root, whom file
     * permissions do not stop; the permissions otherwise): the archive goes to the user's cache
     * directory and is used from there; with no usable cache directory either, jkvm runs without one.
     */
    @Test
    void aReadOnlyInstallKeepsItsArchiveInTheUsersCache(@TempDir Path root, @TempDir Path cache, @TempDir Path logs) throws Exception {
        LauncherFlagsTest.installCopy(root);
        boolean asRoot = "root".equals(System.getProperty("user.name"));
        List<String> wrap;
        if (asRoot) {
            // The launcher runs inside a shell that first makes the install read-only in its own mount namespace.
            wrap = List.of("unshare", "-m", "bash", "-c",
                    "mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" && exec \"$@\"", root.toString());
        } else {
            wrap = List.of();
            root.resolve("monitor/target").toFile().setWritable(false, false);
        }
        try {
            Launch first = launch(root, cache, logs.resolve("1.log"), wrap, "run", "--help");
            assertEquals(0, first.code(), first.out());
            assertEquals(inProcess("run", "--help"), first.out());
            List<Path> archives = archivesUnder(root, cache);
            assertEquals(1, archives.size(), archives::toString);
            assertTrue(archives.get(0).startsWith(cache.resolve("jkvm")), archives::toString);

            Files.writeString(Path.of(archives.get(0) + ".trained"), ""); // as a run with guests marks it
            Launch second = launch(root, cache, logs.resolve("2.log"), wrap, "guests");
            assertEquals(0, second.code(), second.out());
            assertEquals(inProcess("guests"), second.out());
            assertTrue(second.classLoadLog().contains(MAIN_FROM_ARCHIVE), "Main was not loaded from the cached archive");

            Path noCache = Files.writeString(logs.resolve("not-a-directory"), "");
            Launch none = launch(root, noCache, logs.resolve("3.log"), wrap, "run", "--help");
            assertEquals(0, none.code(), none.out());
            assertEquals(inProcess("run", "--help"), none.out());
            assertFalse(none.classLoadLog().contains(MAIN_FROM_ARCHIVE), "an archive was used");
        } finally {
            root.resolve("monitor/target").toFile().setWritable(true, false);
        }
    }
}
