package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.analysis.jmc.RuleReport;
import dev.jkvm.experiment.Experiment;
import dev.jkvm.experiment.ExperimentSpec;
import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.sched.CpuPlacement;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmc.flightrecorder.rules.IResult;
import org.openjdk.jmc.flightrecorder.rules.Severity;

/** `jkvm analyze` and the JMC rules on real recordings: two spin VMs time-sharing one CPU, at equal nice and at nice 0 vs 5. */
@Tag("kvm")
class AnalyzeRealRunKvmTest {

    static Path run(Path dir, String name, Integer niceOfVm1) throws Exception {
        int cpu = CpuPlacement.allowed().length() - 1;
        GuestImage spin = GuestCatalog.resolve("spin");
        List<ExperimentSpec.VmSpec> vms = new ArrayList<>();
        vms.add(new ExperimentSpec.VmSpec(spin, spin.manifest().memory(), 0, 0));
        vms.add(new ExperimentSpec.VmSpec(spin, spin.manifest().memory(), 0, niceOfVm1));
        Path jfr = dir.resolve(name + ".jfr");
        new Experiment(new ExperimentSpec(vms, Duration.ofSeconds(3), OptionalInt.of(cpu), jfr, "jkvm-sched", false),
                new PrintWriter(new StringWriter())).run();
        return jfr;
    }

    static Map<String, IResult> rules(Path jfr) {
        return RuleReport.evaluate(RuleReport.load(jfr)).stream().filter(RuleReport.Outcome::jkvm)
                .collect(Collectors.toMap(o -> o.rule().getId(), RuleReport.Outcome::result));
    }

    @Test
    void twoSpinVmsSplitTheCpuEvenlyAndNiceFiveIsReportedUnfair(@TempDir Path dir) throws Exception {
        Path equal = run(dir, "equal", 0);
        RunSummary r = RecordingAnalysis.analyze(equal);
        assertEquals(2, r.vcpus().size(), r.vcpus().toString());
        double sum = r.vcpus().stream().mapToDouble(RunSummary.VcpuSummary::share).sum();
        double a = r.vcpus().get(0).share() / sum, b = r.vcpus().get(1).share() / sum;
        // Other tasks may take the CPU (this machine runs builds beside the tests): with the kernel's
        // sched_switch copy the vCPUs' shares, the foreign tasks' and idle time must fill the window.
        double foreign = r.foreignTasks().stream().mapToLong(RunSummary.ForeignTask::nanos).sum() / (double) r.windowNanos();
        double idle = Math.max(0, r.idleNanos()) / (double) r.windowNanos();
        System.out.printf("real run, equal nice: shares %.2f %% + %.2f %% = %.2f %% of the window, foreign tasks %.2f %%, idle %.2f %%, "
                + "split %.1f/%.1f, Jain %.4f, %.0f switches/s%n", 100 * r.vcpus().get(0).share(), 100 * r.vcpus().get(1).share(), 100 * sum,
                100 * foreign, 100 * idle, 100 * a, 100 * b, r.jainIndex(), r.switchesPerSecond());
        if (r.health().kernelSwitches()) {
            assertEquals(1.0, sum + foreign + idle, 0.01, "vCPU shares + foreign tasks + idle do not fill the window");
        } else {
            assertEquals(1.0, sum, 0.01, "vCPU shares do not fill the window (no sched_switch copy to account for other tasks)");
        }
        assertEquals(0.5, a, 0.05, "2 spin VMs did not split 50/50");
        // Each vCPU thread ends on another CPU after the stop; its CPU in the report is still the one it ran on.
        for (RunSummary.VcpuSummary v : r.vcpus()) assertEquals(CpuPlacement.allowed().length() - 1, v.cpu(), v.vm() + "'s CPU");
        assertTrue(r.health().complete(), r.health().toString());
        IResult fair = rules(equal).get("jkvm.Fairness");
        assertEquals(Severity.OK, fair.getSeverity(), fair.getSummary());
        // JMC's own System.gc() rule has nothing to say about jkvm: a timed run empties its young
        // generation before the gate without System.gc() (every timed recording was a WARNING, score 94).
        IResult systemGc = RuleReport.evaluate(RuleReport.load(equal)).stream().filter(o -> o.rule().getId().equals("SystemGc"))
                .findFirst().orElseThrow().result();
        assertTrue(systemGc.getSeverity() != Severity.WARNING, "JMC's System.gc() rule: " + systemGc.getSummary());
        // The same analysis through JMC's parser.
        assertEquals(RecordingAnalysisTest.json(r), RecordingAnalysisTest.json(dev.jkvm.analysis.jmc.JmcRecording.summary(RuleReport.load(equal))));

        Path nice = run(dir, "nice", 5);
        RunSummary n = RecordingAnalysis.analyze(nice);
        IResult unfair = rules(nice).get("jkvm.Fairness");
        System.out.printf("real run, nice 0 vs 5: shares %.2f %% / %.2f %%, Jain %.4f, against weights %.4f; rule: %s %s%n",
                100 * n.vcpus().get(0).share(), 100 * n.vcpus().get(1).share(), n.jainIndex(), n.weightedJainIndex(), unfair.getSeverity(),
                unfair.getSummary());
        assertTrue(unfair.getSeverity().compareTo(Severity.INFO) >= 0, unfair.getSummary());
        assertTrue(unfair.getSummary().startsWith("Unfair") && unfair.getSummary().contains("vm1/0"), unfair.getSummary());
    }
}
