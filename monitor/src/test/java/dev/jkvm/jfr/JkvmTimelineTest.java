package dev.jkvm.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.jfr.timeline.JmcView;
import dev.jkvm.jfr.timeline.Readers;
import dev.jkvm.jfr.timeline.TimelineThread;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every jkvm timeline event, written through {@link JkvmTimeline} with a known schedule for one
 * vCPU (in, preempted out, in, blocked out, in, preempted out, in) and its slices and waits, read
 * back by every reader: each at its exact time, on the vCPU's thread, start time equal to kernel time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JkvmTimelineTest {
    private static final long MS = 1_000_000;
    private Path file;
    private long t0;
    private TimelineThread vcpuThread;
    private JkvmTimeline.Appended appended;

    @BeforeAll
    void record(@TempDir Path dir) throws Exception {
        file = dir.resolve("run.jfr");
        Thread vcpu = Thread.ofPlatform().name("vm0-vcpu0").unstarted(() -> { });
        vcpuThread = new TimelineThread(vcpu.threadId(), 4242, vcpu.getName());
        JkvmTimeline.VcpuRef ref = new JkvmTimeline.VcpuRef("vm0", 0, 4242, vcpuThread);
        try (Recording r = new Recording(JfrProfiles.load(JfrProfiles.FULL))) {
            r.setDestination(file);
            r.start();
            JkvmTimeline t = JkvmTimeline.open(r, file);
            t0 = System.nanoTime();
            long[][] schedule = { // {in/out, time, preempted}
                    {1, 0, 0}, {0, 4, 1}, {1, 6, 0}, {0, 10, 0}, {1, 15, 0}, {0, 18, 1}, {1, 21, 0}};
            for (long[] s : schedule) {
                long at = t0 + s[1] * MS + 7; // an odd nanosecond, to see it kept
                if (s[0] == 1) {
                    t.schedIn(ref, 1, at, true, "perf switch record", false, 1_000,
                            new JkvmTimeline.SchedInClass("same vCPU reloaded", "vm0", 0, "idle", 0));
                } else {
                    t.schedOut(ref, 1, at, s[2] == 1, true, "perf switch record", false, 1_000);
                }
            }
            // The slices and waits of that schedule, as the recorder's accounting closes them (one exit a millisecond).
            for (long[] x : new long[][] {{0, 4, 1}, {6, 10, 0}, {15, 18, 1}}) {
                t.onCpu(ref, 1, t0 + x[0] * MS + 7, t0 + x[1] * MS + 7, "same vCPU reloaded", true, x[2] == 1, x[1] - x[0]);
            }
            t.runnable(ref, 1, t0 + 4 * MS + 7, t0 + 6 * MS + 7, "same vCPU reloaded", true, 0);
            t.runnable(ref, 1, t0 + 18 * MS + 7, t0 + 21 * MS + 7, "same vCPU reloaded", true, 0);
            t.kvmSched(true, ref, 4242, 1, t0 + 1);
            t.kvmSched(false, null, 99, 1, t0 + 2);
            t.vcpuLoad("svm_vcpu_load", ref, 4242, 1, t0 + 3);
            t.kernelSchedSwitch(1, t0 + 4, 99, "hog", "R", null, 4242, "vm0-vcpu0", ref);
            t.guestGap("vm0", vcpuThread, 123, 456, 789, 2_000_000_000L, -1, t0 + 5, 1, t0 + 30 * MS);
            t.guestGap("vm0", vcpuThread, 124, 456, 789, 2_000_000_000L, -1, -1, 2, t0 + 30 * MS);
            t.kvmStat(t0 + 6, "vm0", "vcpu0", "exits", 1234, 34, "none", "cumulative");
            t.beforeRecordingStops();
            r.stop();
            appended = t.appendTo(file);
        }
    }

    @Test
    void slicesAndWaitsFollowTheScheduleOnTheVcpuThread() throws Exception {
        assertEquals(4 + 3 + 3 + 2 + 2 + 1 + 1 + 2 + 1, appended.events()); // in, out, slices, waits, probes, load, sched_switch, gaps, statistic
        List<RecordedEvent> all = RecordingFile.readAllEvents(file);
        List<RecordedEvent> on = of(all, "jkvm.VcpuOnCpu"), runnable = of(all, "jkvm.VcpuRunnable");
        long[][] slices = {{0, 4, 4}, {6, 10, 4}, {15, 18, 3}}; // {start ms, end ms, exits}
        assertEquals(slices.length, on.size());
        for (int i = 0; i < slices.length; i++) {
            RecordedEvent e = on.get(i);
            assertEquals(instant(t0 + slices[i][0] * MS + 7), e.getStartTime());
            assertEquals(instant(t0 + slices[i][1] * MS + 7), e.getEndTime());
            assertEquals(slices[i][2], e.getLong("exits"));
            assertEquals(vcpuThread.javaThreadId(), e.getThread().getJavaThreadId());
            assertEquals("vm0-vcpu0", e.getThread().getJavaName());
            assertEquals(4242, e.getThread().getOSThreadId());
        }
        assertTrue(on.get(0).getBoolean("preempted") && !on.get(1).getBoolean("preempted"));
        // Waits only after the two preempting sched-outs: 4→6 and 18→21; the blocked 10→15 is no wait.
        assertEquals(2, runnable.size());
        assertEquals(instant(t0 + 4 * MS + 7), runnable.get(0).getStartTime());
        assertEquals(2 * MS, runnable.get(0).getDuration().toNanos());
        assertEquals(3 * MS, runnable.get(1).getDuration().toNanos());
        assertEquals("vm0-vcpu0", runnable.get(1).getThread().getJavaName());
    }

    @Test
    void everyTimelineEventStartsAtItsKernelTimeAndKeepsTheRawValue() throws Exception {
        List<RecordedEvent> all = RecordingFile.readAllEvents(file);
        Map<String, Long> counts = all.stream().filter(e -> e.getEventType().getName().startsWith("jkvm."))
                .collect(Collectors.groupingBy(e -> e.getEventType().getName(), Collectors.counting()));
        for (String type : List.of("jkvm.VcpuSchedIn", "jkvm.VcpuSchedOut", "jkvm.VcpuOnCpu",
                "jkvm.VcpuRunnable", "jkvm.KvmSchedIn", "jkvm.KvmSchedOut", "jkvm.VcpuLoad", "jkvm.KernelSchedSwitch", "jkvm.GuestGap")) {
            assertTrue(counts.containsKey(type), type + " missing: " + counts);
        }
        for (RecordedEvent e : all) {
            String type = e.getEventType().getName();
            if (!type.startsWith("jkvm.") || type.equals("jkvm.ClockReference") || type.equals("jkvm.KvmStats")) continue;
            if (type.equals("jkvm.VcpuOnCpu") || type.equals("jkvm.VcpuRunnable")) {
                // The lanes repeat neither the raw kernel time nor the TID: their sched-in or sched-out on the
                // same thread at the same instant has both (checked below).
                assertNull(e.getEventType().getField("monotonicNanos"), type);
                assertNull(e.getEventType().getField("tid"), type);
                String at = type.equals("jkvm.VcpuOnCpu") ? "jkvm.VcpuSchedIn" : "jkvm.VcpuSchedOut";
                RecordedEvent pair = of(all, at).stream().filter(p -> p.getStartTime().equals(e.getStartTime())).findFirst()
                        .orElseThrow(() -> new AssertionError(type + " at " + e.getStartTime() + ": no " + at + " at that instant"));
                assertEquals(pair.getThread().getJavaThreadId(), e.getThread().getJavaThreadId(), type);
                assertEquals(pair.getInt("tid"), e.getThread().getOSThreadId(), type + ": its thread's OS id is the TID");
                continue;
            }
            if (type.equals("jkvm.GuestGap")) {
                if (e.getLong("estimatedStart") < 0) {
                    assertEquals(Instant.MIN, e.getInstant("estimatedStart"), "an unknown kernel time reads as no instant");
                    assertEquals(-1, e.getLong("monotonicNanos"));
                    assertEquals(instant(t0 + 30 * MS), e.getStartTime(), "an unmapped gap sits where it was read");
                    assertEquals(0, e.getDuration().toNanos(), "an unmapped gap has no extent on the lane");
                    continue;
                }
                assertEquals(e.getStartTime(), e.getInstant("estimatedStart"), type);
                // On the probe's vCPU lane, as long as the gap lasted.
                assertEquals("vm0-vcpu0", e.getThread().getJavaName());
                assertEquals(789, e.getDuration().toNanos());
            } else {
                // The start time is the kernel moment; a second timestamp equal to it would only cost bytes.
                assertNull(e.getEventType().getField("kernelTime"), type + " repeats its start time in kernelTime");
            }
            assertEquals(instant(e.getLong("monotonicNanos")), e.getStartTime(), type);
        }
        RecordedEvent sw = of(all, "jkvm.KernelSchedSwitch").getFirst();
        assertEquals("vm0-vcpu0", sw.getThread().getJavaName(), "a sched_switch is drawn on the vCPU switched in");
        assertEquals(null, of(all, "jkvm.KvmSchedOut").getFirst().getThread(), "a probe hit in a foreign task has no thread");
    }

    /** A KVM statistic goes to the timeline too (its strings pooled): every reader sees the event the JVM would have written. */
    @Test
    void aKvmStatisticReadsBackWithItsStrings() throws Exception {
        RecordedEvent e = of(RecordingFile.readAllEvents(file), "jkvm.KvmStats").getFirst();
        assertEquals(instant(t0 + 6), e.getStartTime());
        assertEquals(List.of("vm0", "vcpu0", "exits", "none", "cumulative"),
                List.of(e.getString("vm"), e.getString("scope"), e.getString("name"), e.getString("unit"), e.getString("kind")));
        assertEquals(1234, e.getLong("value"));
        assertEquals(34, e.getLong("delta"));
        assertEquals(List.of("exits"), JmcView.strings(file.toFile(), "jkvm.KvmStats", "name"));
        assertTrue(Readers.jfr("print", "--events", "jkvm.KvmStats", file.toString()).contains("kind = \"cumulative\""));
    }

    @Test
    void jfrViewAndMissionControlShowTheSlices() throws Exception {
        String view = Readers.jfr("view", "--width", "220", "jkvm.VcpuOnCpu", file.toString());
        assertTrue(view.contains("vCPU On CPU") && view.contains("vm0-vcpu0"), view);
        assertTrue(Readers.jfr("summary", file.toString()).contains("jkvm.VcpuRunnable"));
        String gaps = Readers.jfr("print", "--events", "jkvm.GuestGap", file.toString());
        assertTrue(gaps.contains("estimatedStart = N/A"), gaps);
        JmcView jmc = JmcView.load(file.toFile(), "monotonicNanos");
        List<JmcView.Item> on = jmc.of("jkvm.VcpuOnCpu");
        assertEquals(3, on.size());
        // JMC places each slice at its sched-in's kernel time, on the vCPU's thread.
        java.util.Set<Long> schedIns = new java.util.HashSet<>();
        for (JmcView.Item i : jmc.of("jkvm.VcpuSchedIn")) schedIns.add(i.time());
        for (JmcView.Item i : on) {
            assertTrue(schedIns.stream().anyMatch(t -> instant(t).equals(Instant.ofEpochSecond(0, i.start()))),
                    "JMC: a slice starts at no sched-in's monotonicNanos: " + i.start());
            assertEquals(Long.valueOf(vcpuThread.javaThreadId()), i.thread().getThreadId());
        }
        List<Readers.PrintedNumber> printed = Readers.printedNumbers(file, "jkvm.VcpuOnCpu", "exits");
        assertEquals(3, printed.size());
        for (long[] x : new long[][] {{0, 4}, {6, 4}, {15, 3}}) {
            assertTrue(printed.contains(new Readers.PrintedNumber(instant(t0 + x[0] * MS + 7), x[1])), "jfr print: " + printed + " lacks " + x[0]);
        }
        assertEquals(3, Readers.printed(file, "jkvm.VcpuOnCpu", "startTime").stream().filter(p -> "vm0-vcpu0".equals(p.thread())).count());
    }

    @Test
    void aProfileThatDisablesATypeDropsItButCannotDropTheClock(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("partial.jfr");
        Map<String, String> settings = new java.util.HashMap<>(JfrProfiles.load(JfrProfiles.SCHED).getSettings());
        settings.put("jkvm.VcpuLoad#enabled", "false");
        settings.put("jkvm.ClockReference#enabled", "false");
        JkvmTimeline.VcpuRef ref = new JkvmTimeline.VcpuRef("vm0", 0, 4242, vcpuThread);
        try (Recording r = new Recording(settings)) {
            r.setDestination(f);
            r.start();
            JkvmTimeline t = JkvmTimeline.open(r, f);
            long now = System.nanoTime();
            t.vcpuLoad("svm_vcpu_load", ref, 4242, 1, now);
            t.schedIn(ref, 1, now + 1, true, "perf switch record", false, 0, JkvmTimeline.SchedInClass.NONE);
            t.beforeRecordingStops();
            r.stop();
            assertEquals(1, t.appendTo(f).events());
        }
        List<RecordedEvent> all = RecordingFile.readAllEvents(f);
        assertEquals(0, of(all, "jkvm.VcpuLoad").size());
        assertEquals(1, of(all, "jkvm.VcpuSchedIn").size());
        assertEquals(2, of(all, "jkvm.ClockReference").size());
    }

    private Instant instant(long monotonic) {
        return Instant.ofEpochSecond(0, appended.clock().epochNanosOfTicks(appended.clock().ticks(monotonic)));
    }

    private static List<RecordedEvent> of(List<RecordedEvent> all, String type) {
        return all.stream().filter(e -> e.getEventType().getName().equals(type))
                .sorted((a, b) -> a.getStartTime().compareTo(b.getStartTime())).toList();
    }
}
