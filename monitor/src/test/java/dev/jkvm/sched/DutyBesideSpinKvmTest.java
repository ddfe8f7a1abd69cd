package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.experiment.VmReport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A duty 30 % VM beside a spin VM on one CPU: each vCPU's voluntary and preempted sched-outs and its
 * time on the CPU as jkvm recorded them, against the kernel's sched:sched_switch captured through
 * tracefs in the same run (an independent view: tracepoint text, not perf records).
 */
@Tag("kvm")
@Tag("privileged")
class DutyBesideSpinKvmTest {

    /** One side's view of a vCPU thread over the switches both saw. */
    record View(long voluntary, long preempted, long onCpuNanos, long firstIn, long lastOut) {}

    @Test
    void sharesAndVoluntaryPreemptedCountsMatchSchedSwitch(@TempDir Path dir) throws Exception {
        int cpu = SchedRecordingKvmTest.experimentCpu();
        TimerRuns.Run run;
        List<TraceFsCapture.Switch> kernel;
        try (TraceFsCapture trace = TraceFsCapture.start(cpu)) {
            run = TimerRuns.run(dir, Duration.ofSeconds(3), "duty:30", "spin");
            kernel = trace.stop();
        }
        List<RecordedEvent> all = new ArrayList<>();
        all.addAll(Recordings.events(run.jfr(), "jkvm.VcpuSchedIn"));
        all.addAll(Recordings.events(run.jfr(), "jkvm.VcpuSchedOut"));
        all.sort((a, b) -> Long.compare(a.getLong("monotonicNanos"), b.getLong("monotonicNanos")));
        long window = 0;
        double[] shares = new double[2];
        for (VmReport vm : run.report().vms()) {
            int tid = vm.tid();
            // Only the switches on the experiment CPU, the one tracefs watches (a thread starts elsewhere and pins itself).
            List<RecordedEvent> mine = all.stream().filter(e -> e.getInt("tid") == tid && e.getInt("cpu") == cpu).toList();
            // The kernel's switches of this thread, in order: {time, in?, runnable at out?, implied?}
            List<long[]> k = new ArrayList<>();
            for (TraceFsCapture.Switch s : kernel) {
                if (s.prevPid() == tid) k.add(new long[] {s.timeNanos(), 0, s.prevState().startsWith("R") ? 1 : 0, s.implied() ? 1 : 0});
                if (s.nextPid() == tid) k.add(new long[] {s.timeNanos(), 1, 0, s.implied() ? 1 : 0});
            }
            // Each thread's whole life on the experiment CPU, as in SchedRecordingKvmTest: the same sequence on both sides.
            assertEquals(k.size(), mine.size(), vm.name() + ": switches naming the thread in sched_switch vs jkvm's records");
            int j0 = 0;
            View jkvm = view(mine.stream().map(e -> new long[] {e.getLong("monotonicNanos"),
                    e.getEventType().getName().equals("jkvm.VcpuSchedIn") ? 1 : 0, e.hasField("preempted") && e.getBoolean("preempted") ? 1 : 0, 0}).toList());
            List<long[]> matched = k.subList(j0, j0 + mine.size());
            long implied = matched.stream().filter(x -> x[3] == 1 && x[1] == 0).count();
            View trace = view(matched);
            window = Math.max(window, jkvm.lastOut() - jkvm.firstIn());
            System.out.printf("%s (%s): jkvm %d voluntary + %d preempted sched-outs, %.1f ms on CPU;"
                            + " sched_switch %d voluntary + %d preempted (%d implied), %.1f ms on CPU%n",
                    vm.name(), vm.guest(), jkvm.voluntary(), jkvm.preempted(), jkvm.onCpuNanos() / 1e6,
                    trace.voluntary(), trace.preempted(), implied, trace.onCpuNanos() / 1e6);
            if (implied == 0) {
                assertEquals(trace.voluntary(), jkvm.voluntary(), vm.name() + " voluntary sched-outs");
                assertEquals(trace.preempted(), jkvm.preempted(), vm.name() + " preempted sched-outs");
            } else {
                // A switch the tracepoint did not print has no prev_state: it can be either kind.
                assertTrue(Math.abs(trace.voluntary() + trace.preempted() + implied - jkvm.voluntary() - jkvm.preempted()) == 0,
                        vm.name() + " sched-out count");
            }
            // Time on the CPU: the tracepoint fires a few µs before perf's switch-in record (and tracefs prints
            // whole µs), so each interval differs a little; here about 12 µs each, 0.8 % of the total.
            assertTrue(Math.abs(trace.onCpuNanos() - jkvm.onCpuNanos()) <= 0.02 * trace.onCpuNanos(),
                    vm.name() + ": on CPU " + jkvm.onCpuNanos() + " ns (jkvm) vs " + trace.onCpuNanos() + " ns (sched_switch)");
            shares[vm.name().equals("vm0") ? 0 : 1] = jkvm.onCpuNanos();
        }
        double duty = shares[0] / window, spin = shares[1] / window;
        System.out.printf("shares of the CPU over %.3f s: duty %.1f %%, spin %.1f %%%n", window / 1e9, 100 * duty, 100 * spin);
        // duty computes until 30 % of each period has passed on the wall clock, so time it is preempted
        // within that window is lost to it: it gets at most its 30 % (plus the cost of waking), less when the
        // spinner (or the host's other work) takes the CPU inside the window. spin takes what is left.
        assertTrue(duty > 0.10 && duty < 0.36, "duty's share " + duty);
        assertTrue(spin > duty, "spin's share " + spin + " below duty's " + duty);
        TimerRuns.Schedule d = TimerRuns.schedule(run.jfr(), "vm0");
        assertTrue(d.voluntary() > d.preempted(), "duty sleeps more often than it is preempted");
    }

    /** Counts sched-outs by kind and sums on-CPU intervals of {time, in?, preempted?, _} in order. */
    private static View view(List<long[]> events) {
        long vol = 0, pre = 0, on = 0, in = -1, first = -1, last = -1;
        for (long[] e : events) {
            if (e[1] == 1) {
                in = e[0];
                if (first < 0) first = e[0];
            } else {
                if (e[2] == 1) pre++; else vol++;
                if (in >= 0) on += e[0] - in;
                in = -1;
                last = e[0];
            }
        }
        return new View(vol, pre, on, first, last);
    }
}
