package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.experiment.Experiment;
import dev.jkvm.experiment.ExperimentSpec;
import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.jfr.JfrProfiles;
import dev.jkvm.testing.TaskStat;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recorder thread runs at nice -10 where the process may raise a priority (CAP_SYS_NICE, as
 * root here and in CI), else at 0, and the RecorderSummary says which: checked against the
 * kernel's own account of the thread, its nice in /proc/self/task/TID/stat, read while the run goes on.
 */
@Tag("kvm")
class RecorderPriorityKvmTest {

    @Test
    void theRecorderRunsAtTheNiceItsSummaryNames(@TempDir Path dir) throws Exception {
        int cpu = CpuPlacement.allowed().length() - 1;
        GuestImage spin = GuestCatalog.resolve("spin");
        Path jfr = dir.resolve("nice.jfr");
        ExperimentSpec spec = new ExperimentSpec(List.of(new ExperimentSpec.VmSpec(spin, spin.manifest().memory(), 0, null),
                new ExperimentSpec.VmSpec(spin, spin.manifest().memory(), 0, null)), Duration.ofMillis(1500), OptionalInt.of(cpu), jfr,
                JfrProfiles.SCHED, false);
        CompletableFuture<?> run = CompletableFuture.runAsync(() -> {
            try {
                new Experiment(spec, new PrintWriter(new StringWriter())).run();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Integer seen = null;
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (seen == null && !run.isDone() && System.nanoTime() < deadline) {
            seen = recorderNice();
            Thread.sleep(seen == null ? 5 : 0);
        }
        // Read again a moment later: the thread sets its nice as it starts, the first read may come before.
        Thread.sleep(300);
        Integer later = recorderNice();
        run.get();
        assertTrue(later != null, "no jkvm-recorder thread seen while the run went on");
        int expected = hasCapSysNice() ? SchedRecorder.RECORDER_NICE : 0;
        assertEquals(expected, later, "the kernel's nice of the recorder thread");
        List<RecordedEvent> summaries = RecordingFile.readAllEvents(jfr).stream()
                .filter(e -> e.getEventType().getName().equals("jkvm.RecorderSummary")).toList();
        assertEquals(1, summaries.size());
        assertEquals(later, summaries.get(0).getInt("recorderNice"), "the summary's nice against the kernel's");
    }

    /** The nice of this process's thread named jkvm-recorder by /proc (field 19 of its stat), or null when there is none. */
    private static Integer recorderNice() throws Exception {
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    if (!Files.readString(t.resolve("comm")).strip().equals("jkvm-recorder")) continue;
                    return Integer.parseInt(TaskStat.fields(t.resolve("stat"))[16]); // field 19: the nice value
                } catch (java.io.IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return null;
    }

    private static boolean hasCapSysNice() throws Exception {
        String eff = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("CapEff:")).findFirst().orElseThrow();
        return (Long.parseUnsignedLong(eff.split("\\s+")[1], 16) & (1L << 23)) != 0;
    }
}
