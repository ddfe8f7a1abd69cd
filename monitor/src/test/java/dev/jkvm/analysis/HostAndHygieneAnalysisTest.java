package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.analysis.jmc.JmcRecording;
import dev.jkvm.analysis.jmc.RuleReport;
import dev.jkvm.jfr.Host;
import dev.jkvm.jfr.RunHygieneEvent;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Host section and run hygiene of `jkvm analyze` on synthetic recordings with exactly known
 * numbers, through the JDK's and JMC's parsers, in the table and in JSON checked against the schema.
 */
public class HostAndHygieneAnalysisTest {

    static Runnable host(String kernel, String model) {
        return () -> {
            Host h = new Host();
            h.kernelRelease = kernel; h.kernelCommandLine = "quiet isolcpus=3"; h.cpuVendor = "GenuineIntel"; h.cpuModel = model;
            h.microcode = "0x2b000603"; h.vendorModule = "kvm_intel"; h.vendorKind = "kvm_intel"; h.kvmParameters = "kvm.halt_poll_ns=200000";
            h.smt = "off"; h.cpu = 3; h.governor = "performance"; h.frequencyRange = "800–3200 MHz"; h.isolatedCpus = "3"; h.nohzFull = "3";
            h.transparentHugepages = "madvise"; h.jkvmVersion = "0.1.0"; h.jdkVersion = "25";
            h.commit();
        };
    }

    static Runnable hygiene(long foreign, double fraction, double sibling) {
        return () -> {
            RunHygieneEvent e = new RunHygieneEvent();
            e.cpu = 3; e.foreignTime = foreign; e.foreignFraction = fraction; e.vcpuRunTime = 1; e.stealTime = 0;
            e.siblingCpus = sibling < 0 ? "none" : "67"; e.siblingLoad = sibling; e.frequencySamples = 0; e.frequencyChanges = -1;
            e.minFrequency = -1; e.maxFrequency = -1;
            e.commit();
        };
    }

    /** A recording as a runner writes it, for other tests (the bare-metal script's comparison). */
    public static Path runnerRecording(Path file, String kernel, String model) throws Exception {
        return new SyntheticSchedule().vm("vm0", 0).vm("vm1", 0).run("vm0", 4_000_000).run("vm1", 4_000_000).run("vm0", 4_000_000)
                .also(host(kernel, model)).also(hygiene(0, 0, -1)).write(file, 1);
    }

    /**
     * Some kernels print no sched_switch line for a switch out of idle or out of some tasks (this
     * project's host: none with prev_comm=swapper, against 263 into it, in a run of hello on CPU 1).
     * The copy then says the CPU went idle, or to a foreign task, and never says it came back: the
     * vCPU's own sched-in must end that time, or idle ran on through the vCPU's slices (hello: share
     * 81.6 % and idle 71.6 % of the same window; io-ping: "foreign tasks 14 %" where /proc/stat saw 0.6 %).
     */
    @Test
    void aVcpuSchedInEndsIdleAndForeignTimeWhenTheCopyHasNoLineForIt(@TempDir Path dir) throws Exception {
        SyntheticSchedule s = new SyntheticSchedule().vm("vm0", 0).vm("vm1", 0);
        s.run("vm0", 4_000_000, false);
        long idleFrom = s.now() - SyntheticSchedule.GAP;
        s.also(() -> SyntheticSchedule.kernelSwitch(idleFrom, 0, "swapper/1", "")); // into idle; no line out of it
        s.run("vm1", 3_000_000, false);
        long hogFrom = s.now() - SyntheticSchedule.GAP;
        s.also(() -> SyntheticSchedule.kernelSwitch(hogFrom, 4242, "tokio-rt-worker", "")); // into a task; no line out of it
        s.run("vm0", 5_000_000);
        RunSummary r = RecordingAnalysis.analyze(s.write(dir.resolve("quiet-copy.jfr"), 1));
        long run = r.vcpus().stream().mapToLong(RunSummary.VcpuSummary::runNanos).sum();
        long foreign = r.foreignTasks().stream().mapToLong(RunSummary.ForeignTask::nanos).sum();
        assertEquals(SyntheticSchedule.GAP, r.idleNanos(), "idle from the copy's line into it to vm1's sched-in");
        assertEquals(SyntheticSchedule.GAP, foreign, "the task from the copy's line into it to vm0's sched-in");
        assertEquals(r.windowNanos(), run + foreign + r.idleNanos(), "shares, foreign and idle tile the window");
    }

    /**
     * The copy's line into the next task can come a few microseconds before the vCPU's own sched-out
     * record of the same switch: the task's time starts at the sched-out, not at the line, so shares,
     * foreign and idle time still tile the window (they overlapped by those microseconds: 100.018 %).
     */
    @Test
    void theNextTasksTimeStartsNoEarlierThanTheVcpusSchedOut(@TempDir Path dir) throws Exception {
        SyntheticSchedule s = new SyntheticSchedule().vm("vm0", 0).vm("vm1", 0);
        s.run("vm0", 4_000_000);
        long out0 = s.now() - SyntheticSchedule.GAP;
        s.also(() -> SyntheticSchedule.kernelSwitch(out0 - 5_000, 4242, "cpu-hog", "")); // 5 µs before vm0's sched-out
        s.run("vm1", 3_000_000, false);
        long out1 = s.now() - SyntheticSchedule.GAP;
        s.also(() -> SyntheticSchedule.kernelSwitch(out1 - 3_000, 0, "swapper/1", "")); // idle, 3 µs before vm1's
        s.run("vm0", 5_000_000);
        RunSummary r = RecordingAnalysis.analyze(s.write(dir.resolve("early-lines.jfr"), 1));
        long run = r.vcpus().stream().mapToLong(RunSummary.VcpuSummary::runNanos).sum();
        long foreign = r.foreignTasks().stream().mapToLong(RunSummary.ForeignTask::nanos).sum();
        assertEquals(SyntheticSchedule.GAP, foreign, "the hog from vm0's sched-out to vm1's sched-in");
        assertEquals(SyntheticSchedule.GAP, r.idleNanos(), "idle from vm1's sched-out to vm0's sched-in");
        assertEquals(r.windowNanos(), run + foreign + r.idleNanos(), "shares, foreign and idle tile the window");
    }

    @Test
    void foreignTimeComesFromTheSchedSwitchCopyWhenRecorded(@TempDir Path dir) throws Exception {
        SyntheticSchedule s = new SyntheticSchedule().vm("vm0", 0).vm("vm1", 0);
        s.run("vm0", 4_000_000).foreign("cpu-hog", 30_000_000).run("vm1", 4_000_000).run("vm0", 4_000_000);
        s.also(host("6.12.0", "Xeon")).also(hygiene(25_000_000, 0.5, 0.07));
        Path jfr = s.write(dir.resolve("hog.jfr"), 2);
        RunSummary r = RecordingAnalysis.analyze(jfr);
        RunSummary.Hygiene h = r.hygiene();
        assertEquals("sched_switch", h.foreignSource());
        assertEquals(30_000_000, h.foreignTimeNanos());
        assertEquals(30_000_000.0 / s.window(), h.foreignFraction(), 1e-9);
        assertEquals(0.5, h.procStatForeignFraction(), 1e-9, "the monitor's own measurement is kept beside it");
        assertEquals(0.07, h.siblingLoad(), 1e-9);
        assertEquals(List.of("foreign", "SMT"), h.warnings().stream().map(w -> w.split(" ")[0]).toList());
        assertTrue(r.host().recorded());
        assertEquals("6.12.0", r.host().kernelRelease());
        assertEquals(3, r.host().cpu());
        RunSummary jmc = JmcRecording.summary(RuleReport.load(jfr));
        assertEquals(r.host(), jmc.host());
        assertEquals(h.foreignSource(), jmc.hygiene().foreignSource());
        assertEquals(h.foreignTimeNanos(), jmc.hygiene().foreignTimeNanos());
        assertEquals(h.procStatForeignFraction(), jmc.hygiene().procStatForeignFraction(), 1e-9);
        assertEquals(h.siblingLoad(), jmc.hygiene().siblingLoad(), 1e-9);
        String json = JsonReport.render(List.of(r));
        JsonSchemaCheck.validate(json);
        assertTrue(json.contains("\"foreignSource\": \"sched_switch\""), json);
        assertTrue(json.contains("\"kernelRelease\": \"6.12.0\""), json);
        String table = TableReport.render(List.of(r));
        String expected = String.format(java.util.Locale.ROOT, "WARN foreign tasks %.1f %% > 1 %%; SMT sibling load 7.0 %% > 5 %%",
                100 * 30_000_000.0 / s.window());
        assertTrue(table.lines().anyMatch(l -> l.startsWith("hygiene") && l.endsWith(expected)), expected + "\n" + table);
        // vm0 waited runnable through the hog's 30 ms; vm1 had not run yet (its state unknown): in all three formats.
        assertEquals(30_000_000, r.vcpus().get(0).foreignWhileRunnableNanos());
        assertEquals(0, r.vcpus().get(1).foreignWhileRunnableNanos());
        assertTrue(table.lines().anyMatch(l -> l.matches("vm0/0 foreign while runnable\\s+30\\.000 ms")), table);
        assertTrue(json.contains("\"foreignWhileRunnableNanos\": 30000000"), json);
        List<String> csv = CsvReport.render(List.of(r)).lines().toList();
        int col = List.of(CsvReport.HEADER.split(",")).indexOf("foreign_while_runnable_ns");
        assertEquals(List.of("30000000", "0"), List.of(csv.get(1).split(",")[col], csv.get(2).split(",")[col]), String.join("\n", csv));
    }

    @Test
    void withoutTheCopyTheMonitorsMeasurementIsTheSource(@TempDir Path dir) throws Exception {
        Path jfr = new SyntheticSchedule().vm("vm0", 0).run("vm0", 4_000_000).also(hygiene(3_000_000, 0.004, -1))
                .write(dir.resolve("quiet.jfr"), 1);
        RunSummary.Hygiene h = RecordingAnalysis.analyze(jfr).hygiene();
        assertEquals("/proc/stat", h.foreignSource());
        assertEquals(0.004, h.foreignFraction(), 1e-9);
        assertTrue(Double.isNaN(h.siblingLoad()));
        assertTrue(h.warnings().isEmpty());
        JsonSchemaCheck.validate(JsonReport.render(List.of(RecordingAnalysis.analyze(jfr))));
    }

    @Test
    void oldRecordingsSayNotRecorded(@TempDir Path dir) throws Exception {
        RunSummary r = RecordingAnalysis.analyze(new SyntheticSchedule().vm("vm0", 0).run("vm0", 4_000_000).write(dir.resolve("old.jfr"), 1));
        assertFalse(r.host().recorded());
        assertFalse(r.hygiene().measured());
        String json = JsonReport.render(List.of(r));
        JsonSchemaCheck.validate(json);
        assertTrue(json.contains("\"foreignSource\": \"none\", \"foreignTimeNanos\": -1, \"foreignFraction\": -1"), json);
        assertTrue(TableReport.render(List.of(r)).contains("not recorded"));
    }

    @Test
    void twoRunnersSideBySide(@TempDir Path dir) throws Exception {
        Path a = runnerRecording(dir.resolve("intel.jfr"), "6.12.0-intel", "Xeon Gold 6338");
        Path b = runnerRecording(dir.resolve("amd.jfr"), "6.12.0-amd", "EPYC 7763");
        String table = TableReport.render(List.of(RecordingAnalysis.analyze(a), RecordingAnalysis.analyze(b)));
        // One column per recording, in order (continuing in a block below when they do not fit beside each other).
        String kernels = String.join(" ", table.lines().filter(l -> l.startsWith("  kernel ")).toList());
        assertTrue(kernels.contains("6.12.0-intel") && kernels.indexOf("6.12.0-intel") < kernels.indexOf("6.12.0-amd"), table);
        String cpus = String.join(" ", table.lines().filter(l -> l.startsWith("  CPU ")).toList());
        assertTrue(cpus.indexOf("Xeon Gold 6338") < cpus.indexOf("EPYC 7763") && cpus.contains("Xeon"), table);
        assertTrue(table.lines().allMatch(l -> l.length() <= TableReport.WIDTH), table);
    }
}
