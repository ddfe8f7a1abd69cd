package dev.jkvm.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.experiment.Experiment;
import dev.jkvm.experiment.ExperimentReport;
import dev.jkvm.experiment.ExperimentSpec;
import dev.jkvm.experiment.VmReport;
import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.jfr.timeline.JmcView;
import dev.jkvm.jfr.timeline.Readers;
import dev.jkvm.sched.CpuPlacement;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmc.common.IMCThread;

/**
 * A real run (two spin VMs time-sharing one CPU) read back by every reader: each kernel-moment event
 * starts exactly at its kernel time (spread of startTime − monotonicNanos, the kernel's raw stamp, at
 * most 1 µs over every event of every type, as JMC reads it; jdk.jfr.consumer and {@code jfr print}
 * give each event the same start time), every VcpuOnCpu and VcpuRunnable (which carry no raw stamp)
 * starts at the instant of a sched-in or sched-out of its thread, every VcpuOnCpu is on its vCPU's
 * thread, the lane JMC gives the JVM's own events of that thread, and the slices of the two vCPUs
 * never overlap on their one CPU.
 */
@Tag("kvm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TimelineKvmTest {
    private static final List<String> KERNEL_MOMENTS = List.of("jkvm.VcpuSchedIn", "jkvm.VcpuSchedOut",
            "jkvm.KernelSchedSwitch", "jkvm.KvmSchedIn", "jkvm.KvmSchedOut", "jkvm.VcpuLoad");
    private static final long MAX_SPREAD_NANOS = 1_000;
    private Path jfr;
    private ExperimentReport report;
    private int cpu;
    private String output;
    private List<RecordedEvent> events;

    @BeforeAll
    void run(@TempDir Path dir) throws Exception {
        cpu = CpuPlacement.allowed().length() - 1;
        GuestImage spin = GuestCatalog.resolve("spin");
        List<ExperimentSpec.VmSpec> vms = new ArrayList<>();
        for (int i = 0; i < 2; i++) vms.add(new ExperimentSpec.VmSpec(spin, spin.manifest().memory(), 0, null));
        jfr = dir.resolve("two-spins.jfr");
        StringWriter out = new StringWriter();
        // 2.5 s: long enough for the JVM's own 1 s jdk.ThreadCPULoad of each vCPU thread.
        report = new Experiment(new ExperimentSpec(vms, Duration.ofMillis(2500), OptionalInt.of(cpu), jfr, JfrProfiles.FULL, false),
                new PrintWriter(out)).run();
        output = out.toString();
        events = RecordingFile.readAllEvents(jfr);
    }

    private List<RecordedEvent> of(String type) {
        return events.stream().filter(e -> e.getEventType().getName().equals(type)).toList();
    }

    @Test
    void missionControlReadsEveryKernelMomentAtItsKernelTime() throws Exception {
        JmcView jmc = JmcView.load(jfr.toFile(), "monotonicNanos");
        StringBuilder seen = new StringBuilder();
        long min = Long.MAX_VALUE, max = Long.MIN_VALUE;
        for (String type : KERNEL_MOMENTS) {
            List<JmcView.Item> items = jmc.of(type);
            if (items.isEmpty()) continue; // probes need root and kprobes; switches are always there
            long typeMin = Long.MAX_VALUE, typeMax = Long.MIN_VALUE;
            for (JmcView.Item i : items) {
                assertNotNull(i.time(), type + ": JMC sees no monotonicNanos");
                typeMin = Math.min(typeMin, i.start() - i.time());
                typeMax = Math.max(typeMax, i.start() - i.time());
            }
            min = Math.min(min, typeMin);
            max = Math.max(max, typeMax);
            seen.append(String.format("%n  %s: %d events, startTime - monotonicNanos in [%d, %d] ns", type, items.size(), typeMin, typeMax));
        }
        // One offset (the recording's epoch against CLOCK_MONOTONIC) for every kernel moment of every type.
        assertTrue(max - min <= MAX_SPREAD_NANOS, "spread " + (max - min) + " ns" + seen);
        System.out.println("JMC:" + seen + "\n" + output);
        for (String type : List.of("jkvm.VcpuSchedIn", "jkvm.VcpuSchedOut", "jkvm.VcpuOnCpu", "jkvm.VcpuRunnable")) {
            assertTrue(jmc.of(type).size() > 20, type + ": only " + jmc.of(type).size() + " events" + seen);
        }
        // The lanes carry no raw stamp: each starts, on its thread, at the instant of the sched-in (a slice) or the
        // sched-out (a wait) it was made from, so it too sits at its kernel time.
        for (String[] lane : new String[][] {{"jkvm.VcpuOnCpu", "jkvm.VcpuSchedIn"}, {"jkvm.VcpuRunnable", "jkvm.VcpuSchedOut"}}) {
            java.util.Set<List<Long>> moments = new java.util.HashSet<>();
            for (JmcView.Item i : jmc.of(lane[1])) moments.add(List.of(i.thread().getThreadId(), i.start()));
            for (JmcView.Item i : jmc.of(lane[0])) {
                assertTrue(moments.contains(List.of(i.thread().getThreadId(), i.start())),
                        lane[0] + " at " + i.start() + " on thread " + i.thread().getThreadId() + ": no " + lane[1] + " of that thread then");
            }
        }
    }

    @Test
    void everyVcpuOnCpuIsOnItsVcpuThreadTheJvmsOwnLane() throws Exception {
        Map<Integer, VmReport> byTid = new HashMap<>();
        for (VmReport vm : report.vms()) byTid.put(vm.tid(), vm);
        Map<Long, RecordedThread> jvmThreads = new HashMap<>();
        for (RecordedEvent e : of("jdk.ThreadCPULoad")) jvmThreads.put(e.getThread().getJavaThreadId(), e.getThread());
        List<RecordedEvent> on = of("jkvm.VcpuOnCpu");
        for (RecordedEvent e : on) {
            RecordedThread t = e.getThread();
            assertNotNull(t, "a VcpuOnCpu without a thread");
            VmReport vm = byTid.get((int) t.getOSThreadId());
            assertNotNull(vm, "a slice of an unknown thread " + t.getOSThreadId());
            assertEquals(vm.name(), e.getString("vm"));
            assertEquals(vm.threadName(), t.getJavaName());
            assertEquals(vm.tid(), t.getOSThreadId());
            RecordedThread jvm = jvmThreads.get(t.getJavaThreadId());
            assertNotNull(jvm, vm.name() + ": the JVM recorded no jdk.ThreadCPULoad for " + t.getJavaName());
            assertEquals(jvm.getId(), t.getId(), "not the JVM's id for " + t.getJavaName());
            assertEquals(jvm.getOSThreadId(), t.getOSThreadId());
        }
        // JMC: the lane of each slice is the lane of the JVM's own events of that thread.
        JmcView jmc = JmcView.load(jfr.toFile(), "monotonicNanos");
        Map<Long, IMCThread> lanes = new HashMap<>();
        for (JmcView.Item i : jmc.of("jdk.ThreadCPULoad")) lanes.put(i.thread().getThreadId(), i.thread());
        List<JmcView.Item> slices = jmc.of("jkvm.VcpuOnCpu");
        assertEquals(on.size(), slices.size());
        for (JmcView.Item i : slices) {
            assertNotNull(i.thread(), "JMC: a VcpuOnCpu without a thread");
            assertEquals(lanes.get(i.thread().getThreadId()), i.thread(), "JMC draws a slice off its vCPU's lane");
        }
    }

    @Test
    void slicesOfTheTwoVcpusNeverOverlapOnTheirOneCpu() {
        // The experiment CPU's slices: a vCPU thread leaves it when its loop ends and exits elsewhere.
        List<RecordedEvent> on = new ArrayList<>(of("jkvm.VcpuOnCpu").stream().filter(e -> e.getInt("cpu") == cpu).toList());
        on.sort(Comparator.comparing(RecordedEvent::getStartTime));
        for (int i = 1; i < on.size(); i++) {
            assertTrue(!on.get(i).getStartTime().isBefore(on.get(i - 1).getEndTime()),
                    "slice " + i + " of " + on.get(i).getString("vm") + " starts at " + on.get(i).getStartTime() + " before "
                            + on.get(i - 1).getString("vm") + "'s ends at " + on.get(i - 1).getEndTime());
        }
        // A wait that ended with another vCPU loaded held a whole slice of the other vCPU (waits that
        // ended with the same vCPU reloaded let other tasks run: the JVM's, the kernel's).
        List<RecordedEvent> waits = of("jkvm.VcpuRunnable").stream()
                .filter(w -> w.getString("switchClass").equals("another vCPU was loaded")).toList();
        assertTrue(waits.size() > 20, "only " + waits.size() + " waits ended by a switch from the other vCPU");
        int covered = 0;
        for (RecordedEvent w : waits) {
            boolean other = on.stream().anyMatch(s -> !s.getString("vm").equals(w.getString("vm"))
                    && !s.getStartTime().isBefore(w.getStartTime()) && !s.getEndTime().isAfter(w.getEndTime()));
            if (other) covered++;
        }
        assertTrue(covered >= waits.size() - 1, covered + " of " + waits.size() + " waits hold a slice of the other vCPU");
    }

    @Test
    void jdkConsumerAndJfrPrintAgree() throws Exception {
        for (String type : List.of("jkvm.VcpuSchedIn", "jkvm.VcpuSchedOut")) {
            Map<Long, java.time.Instant> consumer = new HashMap<>();
            for (RecordedEvent e : of(type)) consumer.put(e.getLong("monotonicNanos"), e.getStartTime());
            List<Readers.PrintedNumber> printed = Readers.printedNumbers(jfr, type, "monotonicNanos");
            assertEquals(of(type).size(), printed.size(), type);
            for (Readers.PrintedNumber p : printed) {
                assertEquals(consumer.get(p.value()), p.start(), type + ": jfr print and jdk.jfr.consumer start it apart");
            }
        }
        for (String lane : List.of("jkvm.VcpuOnCpu", "jkvm.VcpuRunnable")) { // no raw stamp to pair them by: the same starts
            List<java.time.Instant> consumer = of(lane).stream().map(RecordedEvent::getStartTime).sorted().toList();
            List<java.time.Instant> printed = Readers.printedNumbers(jfr, lane, "exits").stream().map(Readers.PrintedNumber::start).sorted().toList();
            assertEquals(consumer, printed, lane + ": jfr print and jdk.jfr.consumer start them apart");
        }
        String summary = Readers.jfr("summary", jfr.toString());
        assertTrue(summary.contains("jkvm.VcpuOnCpu") && summary.contains("jdk.ThreadCPULoad"), summary);
        // One row a type, with the count jdk.jfr.consumer reads: the appended chunks use the ids the JVM
        // declared jkvm's types with (new ids had jfr summary list each twice, once with 0).
        for (String type : List.of("jkvm.VcpuSchedIn", "jkvm.VcpuSchedOut", "jkvm.VcpuOnCpu", "jkvm.VcpuRunnable")) {
            List<String> rows = summary.lines().filter(l -> l.strip().startsWith(type + " ")).toList();
            assertEquals(1, rows.size(), type + " in jfr summary: " + rows);
            assertEquals(Integer.toString(of(type).size()), rows.get(0).strip().split("\\s+")[1], type + ": " + rows);
        }
        assertTrue(Readers.jfr("view", "jkvm.VcpuRunnable", jfr.toString()).contains("vCPU Runnable"));
        assertTrue(output.contains("at their kernel time appended"), output);
    }
}
