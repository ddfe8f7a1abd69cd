package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.analysis.expect.Expectation;
import dev.jkvm.analysis.expect.Verdict;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recording with jkvm's run events and exit statistics but no vCPU switch (what a run writes
 * without its timeline chunks, e.g. after a full disk): its scheduling metrics are not recorded
 * (fairness read 1.0 and lost 0 from the empty schedule and passed), its exits still count. And VMs
 * are listed as counted: vm2 before vm10.
 */
class NoSwitchesTest {
    @Test
    void schedulingMetricsOfARecordingWithoutSwitchesAreNotRecorded(@TempDir Path dir) throws Exception {
        SyntheticSchedule s = new SyntheticSchedule().vm("vm0", 0).vm("vm1", 0);
        s.extras.add(() -> SyntheticSchedule.exitStats("vm0", "IO", 100_000, 2_000, 9_000));
        s.extras.add(() -> SyntheticSchedule.exitStats("vm0", "reason 39", 7, 2_000, 9_000)); // a code jkvm has no name for
        RunSummary run = RecordingAnalysis.analyze(s.write(dir.resolve("exits-only.jfr"), 1));
        for (String text : List.of("fairness >= 0.95", "lost == 0", "inconsistent == 0", "share(vm0) >= 0", "split(vm0) within 1/N ± 50%",
                "slice.p99 < 1s", "switches == 0", "switches.rate < 1e9", "window >= 0ns")) {
            Verdict v = Expectation.parse(text).evaluate(run);
            assertFalse(v.passed(), text + ": " + v.line());
            assertTrue(v.measured().startsWith("not recorded: no vCPU sched-in/out records in the recording (missing: sched-in/out of vm0"),
                    v.line());
        }
        assertTrue(Expectation.parse("exits(vm0, IO) == 100000").evaluate(run).passed(), "exit statistics are still read");
        assertTrue(Expectation.parse("exits(vm0, other) == 7").evaluate(run).passed(), "'other' names the codes without a name");
        String table = TableReport.render(List.of(run));
        assertTrue(table.lines().anyMatch(l -> l.startsWith("Jain's fairness index") && l.endsWith("- (no switches)")), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("lost records") && l.strip().endsWith("-")), table);
    }

    @Test
    void aJkvmRecordingWithNoVcpuEventsSaysWhatItLacks(@TempDir Path dir) throws Exception {
        Path file = new SyntheticSchedule().vm("vm0", 0).write(dir.resolve("run-events-only.jfr"), 1);
        BadRecordingException e = assertThrows(BadRecordingException.class, () -> RecordingAnalysis.analyze(file));
        assertTrue(e.getMessage().contains("is a jkvm recording without vCPU switch or exit events"), e.getMessage());
    }

    @Test
    void vmsAreOrderedAsCounted(@TempDir Path dir) throws Exception {
        SyntheticSchedule s = new SyntheticSchedule();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            s.vm("vm" + i, 0);
            expected.add("vm" + i);
        }
        for (int i = 11; i >= 0; i--) s.run("vm" + i, 1_000_000);
        RunSummary run = RecordingAnalysis.analyze(s.write(dir.resolve("twelve.jfr"), 1));
        assertEquals(expected, run.vcpus().stream().map(RunSummary.VcpuSummary::vm).toList());
        assertTrue(VmOrder.NATURAL.compare("vm2", "vm10") < 0 && VmOrder.NATURAL.compare("vm10", "vm10") == 0
                && VmOrder.NATURAL.compare("a", "vm0") < 0 && VmOrder.NATURAL.compare("vm01", "vm1") != 0);
    }
}
