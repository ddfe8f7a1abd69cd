package dev.jkvm.jfr.timeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.jfr.JfrProfiles;
import dev.jkvm.jfr.JkvmTimeline;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one switch costs in the recording: 256 vCPUs take turns on one CPU, written through
 * {@link JkvmTimeline} as the recorder writes them (a sched-out, then the next vCPU's sched-in with
 * its class, and the lanes: the slice the sched-out closed, the wait the sched-in closed), appended to a
 * real recording. The JDK's {@code jfr summary} measures each event type's
 * bytes; each must stay within the bound its encoding gives (every field a compressed integer of the
 * value actually written, strings by constant-pool key), and the JDK's parser must read back every
 * sched-in and sched-out at its instant with its class.
 */
class SwitchEventSizeTest {
    private static final int VMS = 256, SWITCHES = 4096;
    private static final long SLICE = 3_500_000, LAG = 9_000_000, EXITS = 70;

    @Test
    void aSwitchCostsASchedOutAndOneSchedInWithinTheirEncodedSize(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("switches.jfr");
        List<JkvmTimeline.VcpuRef> refs = new ArrayList<>();
        for (int i = 0; i < VMS; i++) {
            refs.add(new JkvmTimeline.VcpuRef("vm" + i, 0, 400_000 + i, new TimelineThread(10_000 + i, 400_000 + i, "vcpu-vm" + i + "-0")));
        }
        long t0, last;
        JkvmTimeline.Appended appended;
        Map<Long, String> classAt = new HashMap<>();
        try (Recording r = new Recording(JfrProfiles.load(JfrProfiles.SCHED))) {
            r.setDestination(file);
            r.start();
            JkvmTimeline t = JkvmTimeline.open(r, file);
            t0 = System.nanoTime();
            long at = t0;
            for (int i = 0; i < SWITCHES; i++) {
                JkvmTimeline.VcpuRef out = refs.get(i % VMS), in = refs.get((i + 1) % VMS);
                t.schedOut(out, 1, at, true, true, "sched:sched_switch", false, LAG);
                String c = i < VMS - 1 ? "first load on this CPU" : "another vCPU was loaded";
                t.schedIn(in, 1, at, true, "sched:sched_switch", false, LAG,
                        new JkvmTimeline.SchedInClass(c, out.vm(), 0, out.vm() + "/vcpu0", (VMS - 1) * SLICE));
                // The lanes the recorder draws with them: the slice the sched-out closed, the wait the sched-in closed.
                t.onCpu(out, 1, at - SLICE, at, "another vCPU was loaded", true, true, EXITS);
                if (i >= VMS) t.runnable(in, 1, at - (VMS - 1) * SLICE, at, c, true, 0);
                classAt.put(at, c);
                at += SLICE;
            }
            last = at - SLICE;
            t.beforeRecordingStops();
            r.stop();
            appended = t.appendTo(file);
        }

        // The bound from the encoding, with the largest value of each field this run wrote.
        TypeIds ids = TypeIds.of(file);
        ClockMapping clock = appended.clock();
        int ticks = Bytes.longSize(clock.ticks(last)), type = Math.max(Bytes.longSize(ids.id("jkvm.VcpuSchedIn")),
                Bytes.longSize(ids.id("jkvm.VcpuSchedOut")));
        int header = 1 /* size: events under 128 bytes */ + type + ticks + 1 /* duration 0 */ + Bytes.longSize(10_000 + VMS)
                + 1 /* no stack trace */;
        int pooled = 1 + 2; // encoding byte, a key under 2^14
        int common = pooled /* vm */ + 1 /* vcpu */ + Bytes.longSize(400_000 + VMS) /* tid */ + 1 /* cpu */
                + Bytes.longSize(last) /* monotonicNanos */ + 1 /* inKvmRun */ + pooled /* stampedBy */ + 1 /* late */
                + Bytes.longSize(LAG);
        int outBound = header + common + 1 /* preempted */;
        int inBound = header + common + pooled /* switchClass */ + pooled /* fromVm */ + 1 /* fromVcpu */ + pooled /* ranBefore */
                + Bytes.longSize((VMS - 1) * SLICE) /* offCpu */;
        // A lane has a duration and repeats neither the TID (its thread's) nor the raw kernel time (its sched-in's or sched-out's).
        int laneCommon = header - 1 + pooled /* vm */ + 1 /* vcpu */ + 1 /* cpu */ + pooled /* switchClass */ + 1 /* inKvmRun */;
        int onCpuBound = laneCommon + Bytes.longSize(clock.ticksOfNanos(SLICE)) + 1 /* preempted */ + Bytes.longSize(EXITS);
        int runnableBound = laneCommon + Bytes.longSize(clock.ticksOfNanos((VMS - 1) * SLICE)) + 1 /* exits 0 */;

        String summary = Readers.jfr("summary", file.toString());
        long[] in = sizeOf(summary, "jkvm.VcpuSchedIn"), out = sizeOf(summary, "jkvm.VcpuSchedOut");
        long[] onCpu = sizeOf(summary, "jkvm.VcpuOnCpu"), runnable = sizeOf(summary, "jkvm.VcpuRunnable");
        assertEquals(SWITCHES, in[0], summary);
        assertEquals(SWITCHES, out[0], summary);
        assertEquals(SWITCHES, onCpu[0], summary);
        assertEquals(SWITCHES - VMS, runnable[0], summary);
        double perOnCpu = onCpu[1] / (double) onCpu[0], perRunnable = runnable[1] / (double) runnable[0];
        System.out.printf("lanes: on CPU %.1f bytes (bound %d), runnable %.1f bytes (bound %d)%n", perOnCpu, onCpuBound, perRunnable, runnableBound);
        assertTrue(perOnCpu <= onCpuBound, "a VcpuOnCpu takes " + perOnCpu + " bytes, its encoding at most " + onCpuBound);
        assertTrue(perRunnable <= runnableBound, "a VcpuRunnable takes " + perRunnable + " bytes, its encoding at most " + runnableBound);
        double perIn = in[1] / (double) in[0], perOut = out[1] / (double) out[0];
        System.out.printf("per switch: sched-in %.1f bytes (bound %d), sched-out %.1f bytes (bound %d); ticks %d bytes%n",
                perIn, inBound, perOut, outBound, ticks);
        assertTrue(perIn <= inBound, "a sched-in takes " + perIn + " bytes, its encoding at most " + inBound);
        assertTrue(perOut <= outBound, "a sched-out takes " + perOut + " bytes, its encoding at most " + outBound);
        assertTrue(!summary.contains("jkvm.VcpuSwitch "), "no separate switch event: " + summary);

        // Read back: every sched-in and sched-out at its kernel moment, the sched-in with its class.
        int ins = 0, outs = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            String name = e.getEventType().getName();
            if (!name.equals("jkvm.VcpuSchedIn") && !name.equals("jkvm.VcpuSchedOut")) continue;
            long mono = e.getLong("monotonicNanos");
            assertEquals(instant(clock, mono), e.getStartTime(), name);
            assertTrue(classAt.containsKey(mono), name + " at an instant never written: " + mono);
            if (name.equals("jkvm.VcpuSchedIn")) {
                assertEquals(classAt.get(mono), e.getString("switchClass"));
                ins++;
            } else {
                outs++;
            }
        }
        assertEquals(SWITCHES, ins);
        assertEquals(SWITCHES, outs);
    }

    private static java.time.Instant instant(ClockMapping clock, long monotonic) {
        return java.time.Instant.ofEpochSecond(0, clock.epochNanosOfTicks(clock.ticks(monotonic)));
    }

    /** {count, bytes} of an event type in {@code jfr summary}'s table. */
    private static long[] sizeOf(String summary, String type) {
        Matcher m = Pattern.compile("(?m)^\\s*" + Pattern.quote(type) + "\\s+(\\d+)\\s+(\\d+)\\s*$").matcher(summary);
        assertTrue(m.find(), type + " not in jfr summary: " + summary);
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }
}
