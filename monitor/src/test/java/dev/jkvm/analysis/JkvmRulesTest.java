package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.analysis.jmc.RuleReport;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmc.flightrecorder.rules.IResult;
import org.openjdk.jmc.flightrecorder.rules.IRule;
import org.openjdk.jmc.flightrecorder.rules.RuleRegistry;
import org.openjdk.jmc.flightrecorder.rules.Severity;

/** jkvm's rules as JMC runs them: found by JMC's RuleRegistry, evaluated on JMC's parse of synthetic recordings with known schedules. */
class JkvmRulesTest {
    static final Set<String> IDS = Set.of("jkvm.Fairness", "jkvm.Starvation", "jkvm.RecordingHealth", "jkvm.ForeignTasks", "jkvm.StealTime");

    @Test
    void missionControlsRuleRegistryFindsThemBesideItsOwn() {
        Set<String> found = RuleRegistry.getRules().stream().map(IRule::getId).collect(Collectors.toSet());
        assertTrue(found.containsAll(IDS), "RuleRegistry found " + found);
        assertTrue(found.size() > IDS.size() + 20, "JMC's own JDK rules are missing: " + found);
    }

    static Map<String, IResult> rules(SyntheticSchedule s, Path file) throws Exception {
        List<RuleReport.Outcome> outcomes = RuleReport.evaluate(RuleReport.load(s.write(file, 1)));
        for (RuleReport.Outcome o : outcomes) {
            if (o.jkvm()) assertTrue(o.error() == null, o.rule().getId() + " failed: " + o.error());
        }
        return outcomes.stream().filter(RuleReport.Outcome::jkvm).collect(Collectors.toMap(o -> o.rule().getId(), RuleReport.Outcome::result));
    }

    static SyntheticSchedule alternate(int niceOfVm1, long vm0Slice, long vm1Slice) {
        SyntheticSchedule s = new SyntheticSchedule().vm("vm0", 0).vm("vm1", niceOfVm1);
        for (int i = 0; i < 50; i++) s.run("vm0", vm0Slice).run("vm1", vm1Slice);
        return s;
    }

    @Test
    void fairAndUnfairRecordingsScoreDifferentlyAndNameTheVcpu(@TempDir Path dir) throws Exception {
        IResult fair = rules(alternate(0, 4_000_000, 4_000_000), dir.resolve("fair.jfr")).get("jkvm.Fairness");
        assertEquals(Severity.OK, fair.getSeverity(), fair.getSummary());
        assertTrue(fair.getSummary().startsWith("Fair: Jain's fairness index 1.000"), fair.getSummary());

        // Equal nice, 3:1 split: Jain (1+1/3)²/(2(1+1/9)) = 0.8, and the weights do not explain it.
        IResult unfair = rules(alternate(0, 12_000_000, 4_000_000), dir.resolve("unfair.jfr")).get("jkvm.Fairness");
        assertEquals(Severity.WARNING, unfair.getSeverity(), unfair.getSummary());
        assertTrue(unfair.getSummary().contains("vm1/0") && unfair.getSummary().contains("Jain 0.800"), unfair.getSummary());
        assertTrue(unfair.getExplanation().contains("vm0/0") && unfair.getExplanation().contains("vm1/0"), unfair.getExplanation());

        // The same split with vm1 at nice 5 (weights 1024:335) is what CFS should do: unfair by design.
        IResult nice = rules(alternate(5, 12_000_000, 4_000_000), dir.resolve("nice.jfr")).get("jkvm.Fairness");
        assertEquals(Severity.INFO, nice.getSeverity(), nice.getSummary());
        assertTrue(nice.getSummary().startsWith("Unfair by the nice values: vm1/0 (nice 5)"), nice.getSummary());
    }

    @Test
    void starvationNamesTheVcpuThatWaitedLongest(@TempDir Path dir) throws Exception {
        SyntheticSchedule ok = alternate(0, 4_000_000, 4_000_000);
        assertEquals(Severity.OK, rules(ok, dir.resolve("ok.jfr")).get("jkvm.Starvation").getSeverity());
        SyntheticSchedule starved = alternate(0, 4_000_000, 4_000_000).run("vm0", 150_000_000).run("vm1", 4_000_000);
        IResult r = rules(starved, dir.resolve("starved.jfr")).get("jkvm.Starvation");
        assertEquals(Severity.WARNING, r.getSeverity(), r.getSummary());
        assertTrue(r.getSummary().startsWith("vm1/0 waited up to 150.020 ms"), r.getSummary());
    }

    @Test
    void foreignTaskOnTheExperimentCpuIsNamedWithTheVcpuItDelayed(@TempDir Path dir) throws Exception {
        Map<String, IResult> none = rules(alternate(0, 4_000_000, 4_000_000), dir.resolve("no-kernel.jfr"));
        assertEquals(Severity.NA, none.get("jkvm.ForeignTasks").getSeverity());
        SyntheticSchedule s = new SyntheticSchedule().vm("vm0", 0).vm("vm1", 0);
        for (int i = 0; i < 10; i++) s.run("vm0", 4_000_000).run("vm1", 4_000_000);
        s.run("vm0", 4_000_000, false).foreign("cpu-hog", 30_000_000).run("vm1", 4_000_000);
        IResult r = rules(s, dir.resolve("hog.jfr")).get("jkvm.ForeignTasks");
        assertEquals(Severity.WARNING, r.getSeverity(), r.getSummary());
        assertTrue(r.getSummary().contains("most cpu-hog; vm1/0 waited longest behind them"), r.getSummary());
        assertTrue(r.getExplanation().contains("cpu-hog on CPU 1 ran 30.000 ms"), r.getExplanation());
    }

    @Test
    void recordingHealthNamesWhatIsLostOrMissing(@TempDir Path dir) throws Exception {
        assertEquals(Severity.OK, rules(alternate(0, 4_000_000, 4_000_000), dir.resolve("ok.jfr")).get("jkvm.RecordingHealth").getSeverity());
        SyntheticSchedule broken = alternate(0, 4_000_000, 4_000_000).vm("vm2", 0);
        broken.lost = 17;
        broken.summary = false;
        IResult r = rules(broken, dir.resolve("broken.jfr")).get("jkvm.RecordingHealth");
        assertEquals(Severity.WARNING, r.getSeverity(), r.getSummary());
        assertTrue(r.getSummary().contains("dropped 17 records (switches of vcpu-vm1-0: 17)"), r.getSummary());
        assertTrue(r.getExplanation().contains("sched-in/out of vm2") && r.getExplanation().contains("jkvm.RecorderSummary"), r.getExplanation());
    }

    @Test
    void stealTimeIsComparedWithTheHostsRunnableWait(@TempDir Path dir) throws Exception {
        // vm0 waits 4.02 ms 49 times = 196.98 ms; a guest told exactly that agrees, one told 20 ms does not.
        SyntheticSchedule agree = alternate(0, 4_000_000, 4_000_000).also(() -> SyntheticSchedule.steal("vm0", 49 * 4_020_000L));
        IResult ok = rules(agree, dir.resolve("agree.jfr")).get("jkvm.StealTime");
        assertEquals(Severity.OK, ok.getSeverity(), ok.getSummary());
        SyntheticSchedule off = alternate(0, 4_000_000, 4_000_000).also(() -> SyntheticSchedule.steal("vm0", 20_000_000L));
        IResult bad = rules(off, dir.resolve("off.jfr")).get("jkvm.StealTime");
        assertEquals(Severity.WARNING, bad.getSeverity(), bad.getSummary());
        assertTrue(bad.getSummary().startsWith("vm0/0's steal time is"), bad.getSummary());
    }

    @Test
    void aLinuxGuestsStealBesideTheHostsWaitIsShownByAnalyze(@TempDir Path dir) throws Exception {
        Path f = alternate(0, 4_000_000, 4_000_000).also(() -> SyntheticSchedule.linuxSteal("vm1", 190_000_000L, 196_980_000L))
                .write(dir.resolve("linux.jfr"), 1);
        String[] out = new String[1];
        assertEquals(0, RecordingAnalysisTest.cli(out, "analyze", f.toString()));
        assertTrue(out[0].contains("Linux steal guest/host") && out[0].contains("190.000/196.980 ms"), out[0]);
        assertEquals(0, RecordingAnalysisTest.cli(out, "analyze", "--format", "json", f.toString()));
        assertTrue(out[0].contains("\"linuxGuestStealNanos\": 190000000, \"linuxHostWaitNanos\": 196980000"), out[0]);
    }

    @Test
    void theCommandPrintsJmcsEvaluation(@TempDir Path dir) throws Exception {
        Path f = alternate(5, 12_000_000, 4_000_000).write(dir.resolve("nice.jfr"), 1);
        String[] out = new String[1];
        assertEquals(0, RecordingAnalysisTest.cli(out, "analyze", "--rules", f.toString()));
        assertTrue(out[0].contains("[INFO       50] vCPU Fairness: Unfair by the nice values: vm1/0"), out[0]);
        assertTrue(out[0].lines().anyMatch(l -> l.matches("  \\d+ JMC rules: .*")), out[0]);
        for (String line : out[0].lines().toList()) assertTrue(line.length() <= TableReport.WIDTH, "wider than 100: " + line);
    }
}
