package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A signal that reaches the JVM before jkvm's handlers are installed takes the JVM's own way out
 * (shutdown hooks, then exit 128 + its number). A second one, arriving after the handlers are in,
 * must not be taken for the first: one run of StopSignalsKvmTest in about 250 printed "stopping every
 * VM" for a run that never started and then ended without its recording. Here the race is made
 * certain: a child JVM signals itself before it installs the handlers (a shutdown hook holds the exit
 * open for a while), installs them, and signals itself again.
 */
class StopSignalsRaceTest {
    @TempDir
    Path dir;

    /** The child: SIGTERM to itself, the handlers installed meanwhile, SIGTERM again; prints a marker only if install returned. */
    public static void main(String[] args) throws Exception {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Thread.sleep(Long.parseLong(args[0]));
            } catch (InterruptedException e) {
                // exit now
            }
        }));
        long pid = ProcessHandle.current().pid();
        new ProcessBuilder("kill", "-TERM", Long.toString(pid)).start().waitFor();
        Thread.sleep(100); // the JVM's own handler has begun the exit
        PrintWriter err = new PrintWriter(System.err, true);
        Thread second = Thread.ofPlatform().daemon(true).start(() -> {
            try {
                Thread.sleep(200);
                new ProcessBuilder("kill", "-TERM", Long.toString(pid)).start().waitFor();
            } catch (Exception e) {
                // the JVM ended first
            }
        });
        StopSignals.install(err);
        System.out.println("install returned: the run would go on");
        second.join();
    }

    private Process child(long hookMillis) throws Exception {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
                StopSignalsRaceTest.class.getName(), Long.toString(hookMillis))
                .redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile()).start();
    }

    @Test
    void aSecondSignalWhileTheJvmExitsOnTheFirstEndsItAndIsNotTakenForAStop() throws Exception {
        Process p = child(60_000); // the exit would take a minute: the second signal ends it
        try {
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the second signal did not end it");
        } finally {
            p.destroyForcibly();
        }
        String out = Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8), err = Files.readString(dir.resolve("err.txt"));
        assertEquals(143, p.exitValue(), out + err);
        assertFalse(err.contains("stopping every VM"), err);
        assertTrue(err.contains("jkvm: SIGTERM while exiting: exiting now"), err);
        assertEquals("", out, "the handlers' caller went on while the JVM exited");
    }

    @Test
    void aRunStartingWhileTheJvmExitsStartsNothing() throws Exception {
        Process p = child(1_000); // the exit ends after the second signal, which ends it first
        try {
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "still running");
        } finally {
            p.destroyForcibly();
        }
        String out = Files.readString(dir.resolve("out.txt")), err = Files.readString(dir.resolve("err.txt"));
        assertEquals(143, p.exitValue(), out + err);
        assertEquals("", out, "the handlers' caller went on while the JVM exited");
        assertFalse(err.contains("stopping every VM"), err);
    }
}
