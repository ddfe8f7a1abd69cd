package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.jfr.timeline.Readers;
import dev.jkvm.testing.JkvmProcess;
import dev.jkvm.testing.Tmpfs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `jkvm run --jfr` onto a real file system too small for the recording (a 200 KiB tmpfs): exit 1
 * with the reason, the summary still printed, no file under the recording's name, and the message
 * says where the recording went instead; that file opens with `jfr summary` and JMC's parser and
 * holds VmEnd for every VM and the RecorderSummary.
 */
@Tag("kvm")
class RecordingOnAFullDiskKvmTest {
    @TempDir
    Path dir;

    @Test
    void aRecordingThatDoesNotFitIsKeptElsewhereAndSaysWhere() throws Exception {
        try (Tmpfs small = Tmpfs.mount("size=200k")) {
            Path jfr = small.path().resolve("run.jfr");
            String out, err;
            int code;
            try (JkvmProcess p = JkvmProcess.start(dir, "run", "--no-sandbox", "--guest", "spin", "--vms", "2", "--cpu", "1",
                    "--duration", "1s", "--quiet", "--jfr", jfr.toString())) {
                code = p.waitFor(60_000);
                out = p.out();
                err = p.err();
            }
            assertEquals(ExitCodes.INTERNAL, code, out + err);
            assertTrue(out.contains("jkvm: vm0 stopped (duration elapsed)") && out.contains("jkvm: vm1 stopped (duration elapsed)"), out);
            assertFalse(out.contains("recording written"), out);
            assertFalse(Files.exists(jfr), "nothing under the recording's name");
            List<String> lines = err.lines().filter(l -> l.startsWith("jkvm: the recording was not written")).toList();
            assertEquals(1, lines.size(), err);
            String line = lines.get(0);
            assertTrue(line.startsWith("jkvm: the recording was not written to " + jfr + ": No space left on device; "), line);
            Matcher copy = Pattern.compile("the whole recording was written to (\\S+) instead").matcher(line);
            assertTrue(copy.find(), line);
            Path kept = Path.of(copy.group(1));
            try {
                List<RecordedEvent> events = RecordingFile.readAllEvents(kept);
                assertEquals(2, events.stream().filter(e -> e.getEventType().getName().equals("jkvm.VmEnd")).count(), line);
                assertEquals(1, events.stream().filter(e -> e.getEventType().getName().equals("jkvm.RecorderSummary")).count(), line);
                String summary = Readers.jfr("summary", kept.toString());
                assertTrue(summary.contains("jkvm.VmEnd") && summary.contains("jkvm.RecorderSummary"), summary);
                var jmc = org.openjdk.jmc.flightrecorder.JfrLoaderToolkit.loadEvents(kept.toFile());
                long vmEnds = 0;
                for (var it : jmc) if (it.getType().getIdentifier().equals("jkvm.VmEnd")) vmEnds += it.getItemCount();
                assertEquals(2, vmEnds, "JMC's parser reads the kept recording");
            } finally {
                Files.deleteIfExists(kept);
            }
            try (var left = Files.list(small.path())) {
                for (Path f : left.toList()) {
                    assertTrue(f.equals(dev.jkvm.jfr.JfrSession.partialName(jfr)), "left on the full disk: " + f);
                    RecordingFile.readAllEvents(f); // a kept part is readable
                }
            }
        }
    }
}
