package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.bindings.Syscalls;
import dev.jkvm.experiment.Experiment;
import dev.jkvm.experiment.ExperimentReport;
import dev.jkvm.experiment.ExperimentSpec;
import dev.jkvm.experiment.VmReport;
import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 4's acceptance: spin VMs time-sharing one CPU, recorded into JFR, checked against the
 * kernel's own sched:sched_switch captured independently through tracefs in the same run.
 * Needs root (tracefs); runs natively as root or inside the sandbox.
 */
@Tag("kvm")
@Tag("privileged")
class SchedRecordingKvmTest {
    /** The experiment CPU: the highest allowed one, so CPU 0 keeps the rest of the machine. */
    static int experimentCpu() {
        BitSet allowed = CpuPlacement.allowed();
        return allowed.length() - 1;
    }

    record Run(ExperimentReport report, Path jfr, List<TraceFsCapture.Switch> kernel, Map<String, BitSet> affinities, String out) {}

    static Run runSpins(int vms, Duration d, Map<Integer, Integer> nice, Path dir) throws Exception {
        int cpu = experimentCpu();
        GuestImage spin = GuestCatalog.resolve("spin");
        List<ExperimentSpec.VmSpec> specs = new ArrayList<>();
        for (int i = 0; i < vms; i++) specs.add(new ExperimentSpec.VmSpec(spin, spin.manifest().memory(), 0, nice.get(i)));
        Files.createDirectories(dir);
        Path jfr = dir.resolve("run.jfr");
        StringWriter out = new StringWriter();
        ExperimentSpec spec = new ExperimentSpec(specs, d, OptionalInt.of(cpu), jfr, "jkvm-sched", false);
        Map<String, BitSet> affinities = new ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        try (TraceFsCapture trace = TraceFsCapture.start(cpu)) {
            Thread watcher = Thread.ofPlatform().daemon(true).start(() -> readVcpuAffinities(vms, affinities, done));
            ExperimentReport report;
            try {
                report = new Experiment(spec, new PrintWriter(out)).run();
            } finally {
                done.set(true);
            }
            watcher.join();
            return new Run(report, jfr, trace.stop(), affinities, out.toString());
        }
    }

    /** While the run goes on, reads every vCPU thread's affinity back from the kernel. */
    static void readVcpuAffinities(int vms, Map<String, BitSet> into, java.util.concurrent.atomic.AtomicBoolean done) {
        // A vCPU thread has its name before it pins itself, so keep reading until the run ends: the last
        // value read is the one the thread ran with (set-up can take seconds inside the sandbox).
        while (!done.get()) {
            try (var tasks = Files.list(Path.of("/proc/self/task"))) {
                for (Path t : tasks.toList()) {
                    String comm = Files.readString(t.resolve("comm")).strip();
                    if (comm.startsWith("vcpu-vm")) into.put(comm, Syscalls.getAffinity(Integer.parseInt(t.getFileName().toString())));
                }
                Thread.sleep(20);
            } catch (Exception e) {
                // A task can vanish between list and read; try again.
            }
        }
    }

    @ParameterizedTest(name = "{0} spin VMs on one CPU")
    @ValueSource(ints = {2, 4})
    void everySwitchOfEveryVcpuIsRecordedExactlyOnce(int vms, @TempDir Path dir) throws Exception {
        int cpu = experimentCpu();
        Run run = runSpins(vms, Duration.ofSeconds(3), Map.of(), dir);

        // Affinity of every vCPU thread is exactly {cpu}, as the kernel reports it.
        assertEquals(vms, run.affinities().size(), "vCPU threads seen: " + run.affinities().keySet());
        BitSet only = new BitSet();
        only.set(cpu);
        run.affinities().forEach((name, mask) -> assertEquals(only, mask, name));

        List<RecordedEvent> ins = Recordings.events(run.jfr(), "jkvm.VcpuSchedIn");
        List<RecordedEvent> outs = Recordings.events(run.jfr(), "jkvm.VcpuSchedOut");
        assertFalse(ins.isEmpty(), "no sched-in events");
        for (RecordedEvent e : ins) assertEquals(cpu, e.getInt("cpu"), "sched-in on another CPU");
        for (RecordedEvent e : outs) assertEquals(cpu, e.getInt("cpu"), "sched-out on another CPU");

        RecordedEvent summary = Recordings.events(run.jfr(), "jkvm.RecorderSummary").get(0);
        assertEquals(0, summary.getLong("lostRecords"), "perf records were lost");

        Map<Integer, String> vmOfTid = new HashMap<>();
        for (VmReport vm : run.report().vms()) vmOfTid.put(vm.tid(), vm.name());
        StringBuilder offsets = new StringBuilder();
        List<Long> allOffsets = new ArrayList<>();
        long[] implied = {0};
        for (VmReport vm : run.report().vms()) {
            int tid = vm.tid();
            List<RecordedEvent> mine = new ArrayList<>();
            ins.stream().filter(e -> e.getInt("tid") == tid).forEach(mine::add);
            outs.stream().filter(e -> e.getInt("tid") == tid).forEach(mine::add);
            mine.sort((a, b) -> Long.compare(a.getLong("kernelTime"), b.getLong("kernelTime")));
            assertTrue(mine.size() > 4, vm.name() + " has only " + mine.size() + " switch events");
            // Sched-in and sched-out alternate.
            for (int i = 1; i < mine.size(); i++) {
                assertFalse(mine.get(i).getEventType().equals(mine.get(i - 1).getEventType()),
                        vm.name() + ": two " + mine.get(i).getEventType().getName() + " in a row at " + mine.get(i).getLong("kernelTime"));
            }
            // The kernel's own view of the same thread: every sched_switch naming it, in time order.
            List<long[]> kernelEvents = new ArrayList<>(); // {time, isIn, preempted, earliest}
            for (TraceFsCapture.Switch s : run.kernel()) {
                if (s.prevPid() == tid) kernelEvents.add(new long[] {s.timeNanos(), 0, s.prevState().startsWith("R") ? 1 : 0, s.earliestNanos()});
                if (s.nextPid() == tid) kernelEvents.add(new long[] {s.timeNanos(), 1, 0, s.earliestNanos()});
            }
            // The tracepoint fires in __schedule just before the perf switch-out record and just after it
            // for a switch-in comes perf's record in finish_task_switch; tracefs truncates to µs. Align the
            // two sequences at jkvm's first event (tracing started before the VMs, so it has more before).
            long t0 = mine.get(0).getLong("kernelTime");
            boolean in0 = mine.get(0).getEventType().getName().equals("jkvm.VcpuSchedIn");
            int j0 = -1;
            for (int j = 0; j < kernelEvents.size(); j++) {
                long[] k = kernelEvents.get(j);
                if ((k[1] == 1) == in0 && Math.abs(k[0] - t0) < 1_000_000 && (j0 < 0 || Math.abs(k[0] - t0) < Math.abs(kernelEvents.get(j0)[0] - t0))) j0 = j;
            }
            assertTrue(j0 >= 0, vm.name() + ": no tracepoint matches jkvm's first switch at " + t0);
            if (kernelEvents.size() - j0 < mine.size()) {
                throw new AssertionError(vm.name() + ": tracefs saw " + (kernelEvents.size() - j0) + " switches from the first recorded one, jkvm recorded "
                        + mine.size() + context(mine, kernelEvents, j0, 0, run.kernel()) + context(mine, kernelEvents, j0, kernelEvents.size() - j0 - 1, run.kernel()));
            }
            for (int i = 0; i < mine.size(); i++) {
                RecordedEvent e = mine.get(i);
                long[] k = kernelEvents.get(j0 + i);
                boolean isIn = e.getEventType().getName().equals("jkvm.VcpuSchedIn");
                if ((k[1] == 1) != isIn) throw new AssertionError(vm.name() + " switch " + i + ": direction differs from the tracepoint" + context(mine, kernelEvents, j0, i, run.kernel()));
                if (!isIn) assertEquals(k[2] == 1, e.getBoolean("preempted"), vm.name() + " switch " + i + ": preempted differs from prev_state");
                long t = e.getLong("kernelTime");
                if (k[3] != k[0]) {
                    // A switch the tracepoint left out but its sequence implies: jkvm's time must lie in the gap.
                    assertTrue(t >= k[3] && t <= k[0] + 1_000, vm.name() + " switch " + i + " at " + t + " is outside its implied window [" + k[3] + ", " + k[0] + "]");
                    implied[0]++;
                    continue;
                }
                long offset = Math.abs(t - k[0]);
                // Pairs are matched by position and direction; this bound only catches nonsense. Under the
                // sandbox's TCG an emulated CPU can stall between the tracepoint and the perf record for a
                // few milliseconds now and then, so the bound is generous; the distribution is what counts.
                assertTrue(offset < 20_000_000, vm.name() + " switch " + i + " is " + offset + " ns from its tracepoint");
                allOffsets.add(offset);
            }
            // After jkvm's last record the exiting thread can still switch: perf detaches a task's events
            // early in do_exit, the tracepoint sees it to the end. All of that must come after the thread
            // left its KVM_RUN loop; a tracepoint switch before that which jkvm does not have was missed.
            for (int j = j0 + mine.size(); j < kernelEvents.size(); j++) {
                assertTrue(kernelEvents.get(j)[0] > vm.loopEndNanos(), vm.name() + ": the tracepoint switch at " + kernelEvents.get(j)[0]
                        + " (before the vCPU left its loop at " + vm.loopEndNanos() + ") is missing from the recording");
            }
        }
        allOffsets.sort(Long::compare);
        long p50 = allOffsets.get(allOffsets.size() / 2), p99 = allOffsets.get((int) (allOffsets.size() * 0.99)), max = allOffsets.get(allOffsets.size() - 1);
        System.out.printf("[%d VMs] %d switches matched 1:1 (%d of them implied by the tracepoint sequence, not printed by it);"
                + " |perf - tracepoint| p50 %d ns, p99 %d ns, max %d ns%n", vms, allOffsets.size() + implied[0], implied[0], p50, p99, max);
        // "Well under one scheduler tick": distribution kernels tick every 4 ms (HZ=250), a quarter of that
        // is the bound. Natively the two timestamps are microseconds apart, and the bound holds for the
        // 99th percentile. Under the sandbox's single-threaded TCG one QEMU thread emulates every CPU in
        // turn, so the CPU that wrote the tracepoint can be left waiting before it writes the perf record
        // for as long as QEMU runs the other one: in all-sandbox runs p99 was 0.24-0.30 ms twice and
        // 3.7 ms once. Emulation can promise the typical pair (p50 under the same quarter tick) and each
        // pair within the 20 ms bound above, not a tail; the tail is a property of a real CPU.
        if (System.getenv("JKVM_INSIDE_SANDBOX") == null) {
            assertTrue(p99 < 1_000_000, "perf and tracepoint timestamps differ too much: p99 " + p99 + " ns");
        } else {
            assertTrue(p50 < 1_000_000, "perf and tracepoint timestamps differ too much under emulation: p50 " + p50 + " ns");
        }
    }

    @org.junit.jupiter.api.Test
    void progressSplitsLikeCpuTimeAndNiceGivesTheKernelsWeightRatio(@TempDir Path dir) throws Exception {
        // Equal weights: each VM's share of progress matches its share of CPU time from the switch records.
        Run equal = runSpins(2, Duration.ofSeconds(4), Map.of(), dir.resolve("equal"));
        double progressRatio = ratio(equal, "progress");
        double cpuRatio = ratio(equal, "onCpuInKvmRun");
        // On hardware a guest's work is proportional to its CPU time: 5 %. Inside the sandbox QEMU's TCG
        // emulates the host CPU at a speed that varies with the load on the real machine, so the same CPU
        // time can buy a different amount of work: there only a coarse 15 % holds.
        boolean emulated = System.getenv("JKVM_INSIDE_SANDBOX") != null;
        double workTolerance = emulated ? 0.15 : 0.05;
        System.out.printf("equal weights: progress ratio %.4f, CPU time ratio %.4f (tolerance %.0f %%%s)%n", progressRatio, cpuRatio,
                workTolerance * 100, emulated ? ", emulated CPU" : "");
        assertEquals(cpuRatio, progressRatio, workTolerance * cpuRatio, "progress does not split like CPU time");
        // `jkvm analyze` reads the same schedule back from the file: its run time is the recorder's on-CPU time.
        var analysis = dev.jkvm.analysis.RecordingAnalysis.analyze(equal.jfr());
        for (var v : analysis.vcpus()) {
            assertEquals(Recordings.single(equal.jfr(), "jkvm.VcpuSwitchSummary", v.vm()).getLong("onCpu"), v.runNanos(), v.vm());
        }

        // nice 0 vs nice 5: CFS weights 1024 and 335 (kernel/sched/core.c sched_prio_to_weight).
        Run weighted = runSpins(2, Duration.ofSeconds(4), Map.of(0, 0, 1, 5), dir.resolve("nice"));
        double weightedCpu = ratio(weighted, "onCpuInKvmRun");
        double expected = 1024.0 / 335.0;
        System.out.printf("nice 0 vs 5: CPU time ratio %.3f, kernel weight ratio %.3f%n", weightedCpu, expected);
        assertEquals(expected, weightedCpu, 0.10 * expected, "CPU time ratio is not the weight ratio");
        double weightedProgress = ratio(weighted, "progress");
        assertEquals(weightedCpu, weightedProgress, workTolerance * weightedCpu, "progress does not split like CPU time under nice");
    }

    /** Both sequences around position i, and every tracepoint line near it, for a failure message. */
    static String context(List<RecordedEvent> mine, List<long[]> kernel, int j0, int i, List<TraceFsCapture.Switch> all) {
        StringBuilder ctx = new StringBuilder();
        for (int c = Math.max(0, i - 3); c < Math.min(mine.size(), i + 4); c++) {
            ctx.append(String.format("%n jkvm %d %s %d", c, mine.get(c).getEventType().getName(), mine.get(c).getLong("kernelTime")));
        }
        for (int c = Math.max(0, j0 + i - 3); c < Math.min(kernel.size(), j0 + i + 4); c++) {
            ctx.append(String.format("%n kern %d %s %d", c - j0, kernel.get(c)[1] == 1 ? "in " : "out", kernel.get(c)[0]));
        }
        long at = j0 + i < kernel.size() ? kernel.get(j0 + i)[0] : kernel.get(kernel.size() - 1)[0];
        for (TraceFsCapture.Switch sw : all) {
            if (Math.abs(sw.timeNanos() - at) < 3_000_000) ctx.append("\n   ").append(sw);
        }
        return ctx.toString();
    }

    /**
     * vm0's value over vm1's: "progress" from VmEnd, CPU times from VcpuSwitchSummary. The guest can
     * only work while its thread is inside KVM_RUN, so "onCpuInKvmRun" is the CPU time to compare
     * with progress (start-up and exit of the thread happen outside, and are slow under TCG).
     */
    static double ratio(Run run, String what) throws Exception {
        Files.createDirectories(run.jfr().getParent());
        String type = what.equals("progress") ? "jkvm.VmEnd" : "jkvm.VcpuSwitchSummary";
        double a = Recordings.single(run.jfr(), type, "vm0").getLong(what);
        double b = Recordings.single(run.jfr(), type, "vm1").getLong(what);
        assertTrue(a > 0 && b > 0, what + " is zero: " + a + ", " + b);
        return a / b;
    }
}
