package dev.jkvm.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.testing.Tmpfs;
import dev.jkvm.util.UsageException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recording's write is checked: a failure names the file and the reason, and nothing claims success. */
class JfrSessionTest {
    @TempDir
    Path dir;

    /** A recording with some content: a few hundred KiB of JDK events while garbage is made. */
    private static Recording busyRecording(Path file) {
        Recording r = JfrSession.start(file, JfrProfiles.SCHED);
        r.enable("jdk.ObjectAllocationSample");
        r.enable("jdk.ThreadSleep").withoutThreshold();
        for (int i = 0; i < 2000; i++) {
            byte[] garbage = new byte[10_000];
            if (garbage.length == 0) throw new AssertionError();
            try {
                Thread.sleep(0, 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return r;
    }

    @Test
    void aWrittenRecordingIsSaidToBeWrittenAndParses() throws Exception {
        Path file = dir.resolve("ok.jfr");
        StringWriter out = new StringWriter();
        JfrSession.finish(busyRecording(file), file, new PrintWriter(out));
        assertTrue(out.toString().startsWith("jkvm: recording written to " + file), out.toString());
        assertFalse(RecordingFile.readAllEvents(file).isEmpty());
    }

    @Test
    void devFullIsNoSpaceLeftAndNeverSuccess() {
        Path file = Path.of("/dev/full");
        StringWriter out = new StringWriter();
        JfrSession.NotWritten e = assertThrows(JfrSession.NotWritten.class,
                () -> JfrSession.finish(busyRecording(file), file, new PrintWriter(out)));
        assertEquals("the recording was not written to /dev/full: No space left on device", e.getMessage());
        assertEquals("", out.toString(), "nothing claims success");
    }

    @Test
    void aFullFileSystemIsNoSpaceLeft() throws Exception {
        try (Tmpfs small = Tmpfs.mount("size=64k")) {
            Path file = small.path().resolve("run.jfr");
            StringWriter out = new StringWriter();
            JfrSession.NotWritten e = assertThrows(JfrSession.NotWritten.class,
                    () -> JfrSession.finish(busyRecording(file), file, new PrintWriter(out)));
            assertTrue(e.getMessage().endsWith("No space left on device"), e.getMessage());
            assertEquals("", out.toString());
        }
    }

    @Test
    void anUnwritableTargetIsAUsageErrorBeforeTheRecordingStarts() throws Exception {
        UsageException dirGiven = assertThrows(UsageException.class, () -> JfrSession.start(dir, JfrProfiles.SCHED));
        assertTrue(dirGiven.getMessage().contains("it is a directory"), dirGiven.getMessage());
        try (Tmpfs ro = Tmpfs.mount("ro,size=16k")) {
            UsageException e = assertThrows(UsageException.class, () -> JfrSession.start(ro.path().resolve("x.jfr"), JfrProfiles.SCHED));
            assertEquals("cannot write the recording to " + ro.path().resolve("x.jfr") + ": Read-only file system; choose another --jfr path",
                    e.getMessage());
        }
    }

    @Test
    void theWritabilityCheckLeavesNoFileBehind() {
        Path file = dir.resolve("sub/new.jfr");
        JfrSession.requireWritable(file);
        assertFalse(Files.exists(file));
    }
}
