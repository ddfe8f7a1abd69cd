package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.analysis.jmc.JmcRecording;
import dev.jkvm.jfr.WakeupLatency;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmc.flightrecorder.JfrLoaderToolkit;

/**
 * `jkvm analyze` on a synthetic recording of an SMP VM beside a single-vCPU VM, with timer ticks:
 * rows keyed by vmN/cpuK (vmN/0 kept for a VM of one vCPU), a VM's share the sum of its vCPUs', the
 * voluntary share of switch-outs, and wake-up latency per vCPU — the same through the JDK's and
 * JMC's parsers, and the JSON valid against the schema. The expected numbers come from the schedule.
 */
class SmpAndWakeupAnalysisTest {
    private static final long MS = 1_000_000;

    private static SyntheticSchedule schedule() {
        SyntheticSchedule s = new SyntheticSchedule().vm("vm0", 0).vm("vm1", 0);
        for (int i = 0; i < 4; i++) {
            s.run("vm0/cpu0", 3 * MS).run("vm1", 2 * MS, i % 2 == 0).run("vm0/cpu1", 1 * MS, false);
        }
        // vm1's ticks: 10, 20, …, 100 µs (each its own histogram bucket, so the percentiles are exact), 7 missed.
        for (int i = 1; i <= 10; i++) {
            long latency = i * 10_000L;
            long missed = i == 10 ? 7 : 0;
            s.also(() -> {
                WakeupLatency e = new WakeupLatency();
                e.vm = "vm1"; e.vcpu = 0; e.latency = latency; e.missedTicks = missed; e.period = 1_000_000;
                e.commit();
            });
        }
        return s;
    }

    /**
     * An SMP VM's vCPU is named in an expectation as the tables name it (vm0/cpu1) or as vm0/1; before,
     * the first was a syntax error and the second "not in the recording", so no per-vCPU metric of
     * an SMP VM could be judged at all.
     */
    @Test
    void expectationsNameAnSmpVmsVcpuAsTheTablesDo(@TempDir Path dir) throws Exception {
        SyntheticSchedule s = schedule();
        RunSummary r = RecordingAnalysis.analyze(s.write(dir.resolve("smp.jfr"), 1));
        for (String name : List.of("vm0/cpu1", "vm0/1")) {
            var v = dev.jkvm.analysis.expect.Expectation.parse(String.format(java.util.Locale.ROOT, "share(%s) within %.6f ± 0.001%%", name,
                    s.shareOf("vm0/cpu1"))).evaluate(r);
            assertTrue(v.passed(), v.line());
            var count = dev.jkvm.analysis.expect.Expectation.parse("slice.count(" + name + ") == 4").evaluate(r);
            assertTrue(count.passed(), count.line());
        }
        var whole = dev.jkvm.analysis.expect.Expectation.parse("slice.count(vm0) == 8").evaluate(r);
        assertFalse(whole.passed(), "a VM of two vCPUs has no one slice count: " + whole.line());
        assertTrue(whole.line().contains("name one (vm0/cpu0)"), whole.line());
        var single = dev.jkvm.analysis.expect.Expectation.parse("slice.count(vm1/0) == 4").evaluate(r);
        assertTrue(single.passed(), single.line());
    }

    @Test
    void smpRowsVmSharesVoluntaryShareAndWakeupsThroughBothParsers(@TempDir Path dir) throws Exception {
        SyntheticSchedule s = schedule();
        Path file = s.write(dir.resolve("smp.jfr"), 2);
        RunSummary jdk = RecordingAnalysis.analyze(file);
        RunSummary jmc = JmcRecording.summary(JfrLoaderToolkit.loadEvents(file.toFile()));
        for (RunSummary r : List.of(jdk, jmc)) {
            Map<String, RunSummary.VcpuSummary> byName = r.vcpus().stream()
                    .collect(Collectors.toMap(RunSummary.VcpuSummary::name, Function.identity()));
            assertEquals(java.util.Set.of("vm0/cpu0", "vm0/cpu1", "vm1/0"), byName.keySet());
            assertEquals(2, byName.get("vm0/cpu1").vmVcpus());
            assertEquals(1, byName.get("vm1/0").vmVcpus());
            for (String lane : List.of("vm0/cpu0", "vm0/cpu1", "vm1")) {
                assertEquals(s.shareOf(lane), byName.get(lane.equals("vm1") ? "vm1/0" : lane).share(), 1e-9, lane + " share");
            }
            RunSummary.VmShare vm0 = r.vmShares().stream().filter(v -> v.vm().equals("vm0")).findFirst().orElseThrow();
            assertEquals(2, vm0.vcpus());
            assertEquals(s.shareOf("vm0/cpu0") + s.shareOf("vm0/cpu1"), vm0.share(), 1e-9, "a VM's share is its vCPUs' sum");
            // vm0/cpu1 always blocks, vm0/cpu0 is always preempted, vm1 alternates (the last slice ends the window).
            assertEquals(1.0, byName.get("vm0/cpu1").voluntaryShare(), 1e-12);
            assertEquals(0.0, byName.get("vm0/cpu0").voluntaryShare(), 1e-12);
            RunSummary.VcpuSummary vm1 = byName.get("vm1/0");
            assertEquals(vm1.voluntaryOuts() / (double) (vm1.voluntaryOuts() + vm1.preemptedOuts()), vm1.voluntaryShare(), 1e-12);
            assertEquals(2, vm1.voluntaryOuts());
            Dist w = vm1.wakeupLatency();
            assertEquals(10, w.count());
            assertEquals(50_000, w.p50());
            assertEquals(100_000, w.p99());
            assertEquals(100_000, w.max());
            assertEquals(550_000, w.total());
            assertEquals(7, vm1.missedTicks());
            assertEquals(0, byName.get("vm0/cpu0").wakeupLatency().count());
        }
        String table = TableReport.render(List.of(jdk));
        assertTrue(table.lines().anyMatch(l -> l.startsWith("vm0 share (2 vCPUs)")), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("vm1/0 wake-up p50/p99/max") && l.endsWith("50.0/100.0/100.0 µs")), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("vm1/0 ticks seen/missed") && l.endsWith("10/7")), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("vm0/cpu1 out preempted/voluntary") && l.endsWith("0/4 (100.0 % vol.)")), table);
        String json = JsonReport.render(List.of(jdk));
        JsonSchemaCheck.validate(json);
        assertTrue(json.contains("{\"vm\": \"vm0\", \"vcpus\": 2, \"share\": "), json);
        assertTrue(json.contains("\"name\": \"vm0/cpu1\", \"vmVcpus\": 2, \"voluntaryShare\": 1.000000"), json);
        String csv = CsvReport.render(List.of(jdk));
        int col = List.of(CsvReport.HEADER.split(",")).indexOf("wakeup_p99_ns");
        assertTrue(csv.lines().anyMatch(l -> l.contains(",vm1/0,") && l.split(",")[col].equals("100000")), csv);
    }
}
