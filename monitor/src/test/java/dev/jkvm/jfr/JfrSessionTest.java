package dev.jkvm.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.jfr.timeline.Readers;
import dev.jkvm.testing.Tmpfs;
import dev.jkvm.util.UsageException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
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
        busyWork(2000);
        return r;
    }

    private static void busyWork(int iterations) {
        for (int i = 0; i < iterations; i++) {
            byte[] garbage = new byte[10_000];
            if (garbage.length == 0) throw new AssertionError();
            try {
                Thread.sleep(0, 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void aWrittenRecordingIsSaidToBeWrittenAndParses() throws Exception {
        Path file = dir.resolve("ok.jfr");
        StringWriter out = new StringWriter();
        JfrSession.write(busyRecording(file), null, file, new PrintWriter(out));
        assertTrue(out.toString().startsWith("jkvm: recording written to " + file), out.toString());
        assertFalse(RecordingFile.readAllEvents(file).isEmpty());
    }

    @Test
    void devFullIsNoSpaceLeftAndNeverSuccess() {
        Path file = Path.of("/dev/full");
        StringWriter out = new StringWriter();
        JfrSession.NotWritten e = assertThrows(JfrSession.NotWritten.class,
                () -> JfrSession.write(busyRecording(file), null, file, new PrintWriter(out)));
        assertTrue(e.getMessage().startsWith("the recording was not written to /dev/full: No space left on device; the whole recording is in "),
                e.getMessage());
        Path kept = Path.of(e.getMessage().substring(e.getMessage().lastIndexOf(" in ") + 4));
        try {
            assertFalse(RecordingFile.readAllEvents(kept).isEmpty(), "the kept copy is a whole recording");
        } catch (java.io.IOException io) {
            throw new AssertionError(io);
        } finally {
            try {
                Files.deleteIfExists(kept);
            } catch (java.io.IOException ignored) {
                // a leftover in java.io.tmpdir only
            }
        }
        assertEquals("", out.toString(), "nothing claims success");
    }

    /**
     * A FIFO takes the whole recording, as `cat` on its other end reads it. JFR's own dump cannot
     * write into one (it seeks: "Illegal seek"), and the writability check used to open it, which a
     * reader took for the end of the data.
     */
    @Test
    void aFifoGetsTheWholeRecording(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("rec.fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        JfrSession.requireWritable(fifo); // must neither block nor reach a reader
        Path copy = dir.resolve("copy.jfr");
        Process cat = new ProcessBuilder("sh", "-c", "cat < '" + fifo + "' > '" + copy + "'").start();
        StringWriter out = new StringWriter();
        JfrSession.write(busyRecording(fifo), null, fifo, new PrintWriter(out));
        assertEquals(0, cat.waitFor());
        assertTrue(out.toString().startsWith("jkvm: recording written to " + fifo), out.toString());
        assertFalse(RecordingFile.readAllEvents(copy).isEmpty(), "what came out of the FIFO is a recording the JDK reads");
    }

    @Test
    void aFullFileSystemIsNoSpaceLeftAndNoFileClaimsToBeTheRecording() throws Exception {
        try (Tmpfs small = Tmpfs.mount("size=64k"); Tmpfs full = Tmpfs.mount("size=16k")) {
            Path file = small.path().resolve("run.jfr");
            StringWriter out = new StringWriter();
            JfrSession.NotWritten e = assertThrows(JfrSession.NotWritten.class,
                    () -> JfrSession.write(busyRecording(file), null, file, full.path(), new PrintWriter(out)));
            assertTrue(e.getMessage().startsWith("the recording was not written to " + file + ": No space left on device; "), e.getMessage());
            assertEquals("", out.toString());
            assertFalse(Files.exists(file), "no truncated file under the recording's name");
            try (var left = Files.list(small.path())) {
                List<Path> files = left.toList();
                assertTrue(files.isEmpty() || files.equals(List.of(JfrSession.partialName(file))), "left behind: " + files);
            }
        }
    }

    /**
     * A recording of several chunks (JFR starts a new chunk whenever a recording starts) written to a
     * real file system that fills up part-way: the complete chunks are kept under the partial name,
     * byte for byte the start of the recording, and the JDK's parser, `jfr summary` and JMC's parser
     * all read it.
     */
    @Test
    void theChunksWrittenBeforeTheDiskFilledAreKeptAndReadable() throws Exception {
        Path reference = dir.resolve("reference.jfr");
        Recording r = busyRecording(dir.resolve("x.jfr"));
        for (int i = 0; i < 6; i++) {
            try (Recording rotate = new Recording()) {
                rotate.start(); // a new chunk begins
            }
            busyWork(400);
        }
        r.dump(reference); // the recording so far: the same chunks the write below starts with
        long referenceSize = Files.size(reference);
        JfrChunks.Complete all = JfrChunks.scan(reference);
        assertTrue(all.chunks() >= 3, all + " chunks");
        long room = referenceSize / 2 + (4 << 10); // room for some whole chunks, not for the recording
        try (Tmpfs small = Tmpfs.mount("size=" + room); Tmpfs full = Tmpfs.mount("size=16k")) {
            Path file = small.path().resolve("run.jfr");
            StringWriter out = new StringWriter();
            JfrSession.NotWritten e = assertThrows(JfrSession.NotWritten.class,
                    () -> JfrSession.write(r, null, file, full.path(), new PrintWriter(out)));
            Path partial = JfrSession.partialName(file);
            assertEquals(small.path().resolve("run.partial.jfr"), partial);
            assertTrue(e.getMessage().contains("No space left on device; the part written before the failure ("), e.getMessage());
            assertTrue(e.getMessage().endsWith(") is in " + partial), e.getMessage());
            assertFalse(Files.exists(file));
            byte[] kept = Files.readAllBytes(partial);
            JfrChunks.Complete c = JfrChunks.scan(partial);
            assertTrue(c.chunks() >= 1 && c.chunks() < all.chunks() && c.bytes() == kept.length, c + " of " + all);
            assertTrue(e.getMessage().contains("(" + c.chunks() + " complete chunk"), e.getMessage());
            byte[] start = java.util.Arrays.copyOf(Files.readAllBytes(reference), kept.length);
            assertTrue(java.util.Arrays.equals(start, kept), "the kept part is the recording's start, byte for byte");
            List<RecordedEvent> events = RecordingFile.readAllEvents(partial);
            assertFalse(events.isEmpty());
            String summary = Readers.jfr("summary", partial.toString());
            assertTrue(summary.contains("Chunks: " + c.chunks()), summary);
            org.openjdk.jmc.common.item.IItemCollection jmc = org.openjdk.jmc.flightrecorder.JfrLoaderToolkit.loadEvents(partial.toFile());
            long jmcEvents = 0;
            for (var it : jmc) jmcEvents += it.getItemCount();
            assertTrue(jmcEvents > 0, "JMC's parser reads the kept part");
        }
    }

    /** When the JVM's part could not be written, the whole recording goes to another file system (java.io.tmpdir in jkvm). */
    @Test
    void theWholeRecordingGoesElsewhereWhenItDidNotFit() throws Exception {
        try (Tmpfs small = Tmpfs.mount("size=64k")) {
            Path file = small.path().resolve("run.jfr");
            StringWriter out = new StringWriter();
            JfrSession.NotWritten e = assertThrows(JfrSession.NotWritten.class,
                    () -> JfrSession.write(busyRecording(file), null, file, dir, new PrintWriter(out)));
            Path copy = dir.resolve("jkvm-" + ProcessHandle.current().pid() + "-run.jfr");
            assertTrue(e.getMessage().contains("No space left on device; the whole recording was written to " + copy + " instead"), e.getMessage());
            assertFalse(RecordingFile.readAllEvents(copy).isEmpty());
            Readers.jfr("summary", copy.toString());
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
