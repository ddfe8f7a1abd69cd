package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.analysis.jmc.JmcRecording;
import dev.jkvm.analysis.jmc.RuleReport;
import dev.jkvm.experiment.Experiment;
import dev.jkvm.experiment.ExperimentSpec;
import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.jfr.JfrProfiles;
import dev.jkvm.jfr.timeline.Readers;
import dev.jkvm.sched.CpuPlacement;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lean profile (jkvm-sched with {@code lanes=false}) keeps everything `jkvm analyze` reads: one
 * real run (two spin VMs on one CPU) recorded with jkvm-full, then the same file without every jkvm
 * event type jkvm-sched turns off and without the lanes (taken from the profiles, removed by the
 * JDK's own {@code jfr scrub}), analyze to the same numbers, through the JDK's parser and JMC's.
 */
@Tag("kvm")
class LeanProfileKvmTest {

    /** The jkvm event types jkvm-full records and jkvm-sched with lanes=false does not. */
    static List<String> droppedByTheLeanProfile() {
        Map<String, String> sched = JfrProfiles.load(JfrProfiles.SCHED).getSettings();
        Map<String, String> full = JfrProfiles.load(JfrProfiles.FULL).getSettings();
        TreeSet<String> dropped = new TreeSet<>();
        full.forEach((key, value) -> {
            if (key.startsWith("jkvm.") && key.endsWith("#enabled") && value.equals("true") && !"true".equals(sched.get(key))) {
                dropped.add(key.substring(0, key.indexOf('#')));
            }
        });
        // The control "lanes" of both profiles: the slices and waits JMC draws, derived from the sched-in/out events.
        dropped.add("jkvm.VcpuOnCpu");
        dropped.add("jkvm.VcpuRunnable");
        return List.copyOf(dropped);
    }

    @Test
    void theLeanProfilesEventsAnalyzeToTheSameNumbersAsEverything(@TempDir Path dir) throws Exception {
        List<String> dropped = droppedByTheLeanProfile();
        assertTrue(dropped.contains("jkvm.VcpuOnCpu") && dropped.contains("jkvm.VcpuRunnable"), dropped.toString());
        assertFalse(dropped.contains("jkvm.VcpuSchedIn") || dropped.contains("jkvm.VcpuSchedOut"),
                dropped.toString());

        int cpu = CpuPlacement.allowed().length() - 1;
        GuestImage spin = GuestCatalog.resolve("spin");
        List<ExperimentSpec.VmSpec> vms = new ArrayList<>();
        for (int i = 0; i < 2; i++) vms.add(new ExperimentSpec.VmSpec(spin, spin.manifest().memory(), 0, null));
        Path full = dir.resolve("full.jfr"), lean = dir.resolve("lean.jfr");
        new Experiment(new ExperimentSpec(vms, Duration.ofSeconds(2), OptionalInt.of(cpu), full, JfrProfiles.FULL, false),
                new PrintWriter(new StringWriter())).run();
        Readers.jfr("scrub", "--exclude-events", String.join(",", dropped), full.toString(), lean.toString());
        String summary = Readers.jfr("summary", lean.toString());
        for (String type : dropped) assertFalse(summary.matches("(?s).*\\n\\s*" + type.replace(".", "\\.") + "\\s+[1-9].*"), summary);
        assertTrue(Files.size(lean) < Files.size(full), Files.size(lean) + " bytes lean vs " + Files.size(full) + " full");

        RunSummary a = RecordingAnalysis.analyze(full), b = RecordingAnalysis.analyze(lean);
        assertEquals(2, a.vcpus().size());
        assertTrue(a.switchesPerSecond() > 0, "no switches analyzed");
        assertEquals(RecordingAnalysisTest.json(a).replace(full.toString(), "F"), RecordingAnalysisTest.json(b).replace(lean.toString(), "F"));
        assertEquals(RecordingAnalysisTest.json(b), RecordingAnalysisTest.json(JmcRecording.summary(RuleReport.load(lean))),
                "JMC's parser reads the lean recording differently");
    }
}
