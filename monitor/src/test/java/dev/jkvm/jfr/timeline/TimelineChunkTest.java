package dev.jkvm.jfr.timeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.bindings.Syscalls;
import dev.jkvm.jfr.JfrProfiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Frequency;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Recording;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;
import jdk.jfr.Timestamp;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmc.common.IMCThread;
import org.openjdk.jmc.common.unit.UnitLookup;

/**
 * A synthetic timeline with exactly known times, appended to a real JVM recording (with the JVM's
 * own jdk.CPULoad and jdk.ThreadCPULoad), read by every reader users have: jdk.jfr.consumer,
 * {@code jfr print}, {@code jfr summary}, {@code jfr view} and JMC's parser. Each must show every
 * event at its CLOCK_MONOTONIC time mapped to the recording's axis, to the nanosecond, and on the
 * thread the JVM's own events of that thread use.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TimelineChunkTest {
    @Name("jkvmtest.Slice") @Label("Test Slice") @Description("A durational test event drawn on a thread")
    @Category({"jkvm", "Test"}) @StackTrace(false)
    static final class Slice extends Event {
        @Label("VM") @Description("A name") String vm;
        @Label("CPU") @Description("A small int") int cpu;
        @Timestamp(Timestamp.TICKS) @Label("Kernel Time") @Description("The start") long kernelTime;
        @Label("Monotonic Nanoseconds") @Description("The start, raw CLOCK_MONOTONIC") long monotonicNanos;
        @Label("In KVM_RUN") @Description("A flag") boolean inKvmRun;
        @Label("Exits") @Description("A count") long exits;
        @Timespan(Timespan.NANOSECONDS) @Label("Gap") @Description("A length") long gap;
        @Frequency @Label("Rate") @Description("A frequency") long rate;
    }

    @Name("jkvmtest.Moment") @Label("Test Moment") @Description("An instant, on no thread")
    @Category({"jkvm", "Test"}) @StackTrace(false)
    static final class Moment extends Event {
        @Timestamp(Timestamp.TICKS) @Label("Kernel Time") @Description("The moment") long kernelTime;
        @Label("CPU") @Description("Negative on purpose") int cpu;
        @Label("Note") @Description("Text beyond ASCII") String note;
    }

    /** A plain JVM event: its repeated strings of more than 16 characters go to the JVM's string pool, keyed from 1. */
    @Name("jkvmtest.JvmNote") @Label("Test JVM Note") @Description("Committed by the JVM itself")
    @Category({"jkvm", "Test"}) @StackTrace(false)
    static final class JvmNote extends Event {
        @Label("Text") @Description("Long enough for the JVM to pool it") String text;
    }

    /** Declared to the JVM before any recording starts, as jkvm declares its timeline events. */
    static final TimelineType SLICE = TimelineType.of(Slice.class), MOMENT = TimelineType.of(Moment.class);
    static final int SLICES = 2000, MOMENTS = 300;
    private static final int DISTINCT_NOTES = ChunkStrings.MAX_STRINGS + 4000;

    private Path file;
    private ClockMapping clock;
    private TimelineThread worker;
    private final List<long[]> slices = new ArrayList<>(); // {start, duration}
    private final List<Long> moments = new ArrayList<>();
    private long appended;

    @BeforeAll
    void record(@TempDir Path dir) throws Exception {
        file = dir.resolve("mixed.jfr");
        try (Recording r = new Recording(JfrProfiles.load(JfrProfiles.SCHED));
             TimelineChunk chunk = TimelineChunk.open(dir.resolve("timeline.spill"))) {
            r.setDestination(file);
            r.enable(JvmNote.class);
            r.start();
            ClockMapping.mark();
            for (int i = 0; i < 150; i++) { // keys the appended chunks' string pools must not be mistaken for
                JvmNote n = new JvmNote();
                n.text = "a string the JVM pools (a repeated one), number " + i / 3;
                n.commit();
            }
            // A busy thread, so the JVM itself records jdk.ThreadCPULoad for it (at least once, when it ends, whatever the
            // profile's period): the lane our events must share.
            AtomicInteger tid = new AtomicInteger();
            Thread spin = Thread.ofPlatform().name("timeline-test-worker").start(() -> {
                tid.set(Syscalls.gettid());
                long end = System.nanoTime() + 1_300_000_000L;
                while (System.nanoTime() < end) Thread.onSpinWait();
            });
            while (tid.get() == 0) Thread.onSpinWait();
            worker = new TimelineThread(spin.threadId(), tid.get(), spin.getName());
            long base = System.nanoTime();
            for (int i = 0; i < SLICES; i++) {
                long start = base + i * 500_000L + i % 997, duration = 200_000L + i;
                slices.add(new long[] {start, duration});
                chunk.event(SLICE, start, duration, worker).putString("vm", "vm" + (i % 2)).putInt("cpu", i % 3)
                        .putLong("kernelTime", start).putLong("monotonicNanos", start).putBoolean("inKvmRun", i % 2 == 0)
                        .putLong("exits", i).putLong("gap", duration).putLong("rate", 2_400_000_000L).commit();
            }
            for (int i = 0; i < MOMENTS; i++) {
                long at = base + i * 3_000_001L;
                moments.add(at);
                chunk.event(MOMENT, at, 0, null).putLong("kernelTime", at).putInt("cpu", -1 - i).putString("note", "vCPU → vCPU").commit();
            }
            spin.join();
            ClockMapping.mark();
            r.stop();
            clock = ClockMapping.read(file);
            appended = chunk.appendTo(file, clock);
        }
    }

    /**
     * The clock mapping is found by walking the recording's records, not by the JDK's parser: it must be
     * the one the parser's reading of the same references gives, in a recording of several chunks with
     * references in different ones (a recording starting beside it makes the JVM begin a new chunk).
     */
    @Test
    void theClockMappingIsTheOneTheJdksParserReads(@TempDir Path dir) throws Exception {
        assertEquals(byTheJdksParser(file), clock, "the mapping of the recording the other tests read");
        Path f = dir.resolve("chunks.jfr");
        try (Recording r = new Recording(JfrProfiles.load(JfrProfiles.SCHED))) {
            r.setDestination(f);
            r.start();
            for (int i = 0; i < 3; i++) {
                ClockMapping.mark();
                try (Recording rotate = new Recording()) {
                    rotate.start();
                    rotate.stop();
                }
            }
            ClockMapping.mark();
            r.stop();
        }
        java.util.regex.Matcher chunks = Pattern.compile("Chunks: (\\d+)").matcher(Readers.jfr("summary", f.toString()));
        assertTrue(chunks.find() && Integer.parseInt(chunks.group(1)) >= 3, "several chunks");
        ClockMapping scanned = ClockMapping.read(f);
        assertEquals(4, scanned.references());
        assertEquals(byTheJdksParser(f), scanned);
    }

    /** The mapping as the JDK's parser reads the references (how ClockMapping read them until 2026-11-27). */
    private static ClockMapping byTheJdksParser(Path recording) throws Exception {
        List<long[]> refs = new ArrayList<>(); // {offset, bracket}
        try (var s = jdk.jfr.consumer.EventStream.openFile(recording)) {
            s.onEvent("jkvm.ClockReference", e -> {
                Instant start = e.getStartTime();
                long epoch = start.getEpochSecond() * 1_000_000_000L + start.getNano();
                long before = e.getLong("monotonicBefore"), after = e.getLong("monotonicAfter");
                refs.add(new long[] {epoch - (before + (after - before) / 2), after - before});
            });
            s.start();
        }
        long[] best = refs.getFirst();
        long min = Long.MAX_VALUE, max = Long.MIN_VALUE;
        for (long[] r : refs) {
            if (r[1] < best[1]) best = r;
            min = Math.min(min, r[0]);
            max = Math.max(max, r[0]);
        }
        try (var in = new java.io.DataInputStream(Files.newInputStream(recording))) {
            in.skipNBytes(32);
            long startNanos = in.readLong();
            in.skipNBytes(8);
            return new ClockMapping(best[0], (best[1] + 1) / 2, refs.size(), max - min, startNanos, in.readLong(), in.readLong());
        }
    }

    /**
     * The appended chunks take their type ids from the running JVM instead of parsing the recording's
     * metadata: every type the recording declares has the same id in the JVM (or, when the JVM does
     * not list it, an id below the first one given to a new type), so no id of ours names a JVM type.
     */
    @Test
    void theJvmsTypeIdsAreTheOnesItsRecordingDeclares(@TempDir Path dir) throws Exception {
        Path jvmOnly = dir.resolve("jvm.jfr"); // the JVM's own chunks, nothing appended
        try (Recording r = new Recording(JfrProfiles.load(JfrProfiles.SCHED))) {
            r.start();
            ClockMapping.mark();
            r.stop();
            r.dump(jvmOnly);
        }
        TypeIds inFile = TypeIds.of(jvmOnly), live = TypeIds.live();
        java.util.Map<String, Long> fileIds = inFile.named(), liveIds = live.named();
        assertTrue(fileIds.size() > 40 && fileIds.containsKey("java.lang.Thread"), fileIds.keySet().toString());
        for (var e : fileIds.entrySet()) {
            Long id = liveIds.get(e.getKey());
            if (id != null) assertEquals(e.getValue(), id, e.getKey());
            else assertTrue(e.getValue() < live.nextId(), e.getKey() + " " + e.getValue() + " not below " + live.nextId());
        }
        java.util.Map<String, Long> liveEvents = new java.util.HashMap<>();
        for (jdk.jfr.EventType t : jdk.jfr.FlightRecorder.getFlightRecorder().getEventTypes()) liveEvents.put(t.getName(), t.getId());
        try (RecordingFile f = new RecordingFile(jvmOnly)) {
            List<jdk.jfr.EventType> declared = f.readEventTypes();
            assertTrue(declared.stream().anyMatch(t -> t.getName().equals(SLICE.name())), "the test's own event type is declared");
            for (jdk.jfr.EventType t : declared) {
                Long id = liveEvents.get(t.getName());
                if (id != null) assertEquals(t.getId(), id, t.getName());
                else assertTrue(t.getId() < live.nextId(), t.getName() + " " + t.getId() + " not below " + live.nextId());
            }
        }
        assertTrue(inFile.nextId() <= live.nextId(), inFile.nextId() + " > " + live.nextId());
    }

    @Test
    void theClockIsMeasuredTightly() {
        assertEquals(2, clock.references());
        assertTrue(clock.uncertaintyNanos() < 1_000, "clock reference bracket too wide: " + clock);
        assertTrue(clock.spreadNanos() < 2_000, "references disagree: " + clock);
        assertTrue(appended > SLICES * 10, "appended only " + appended + " bytes");
    }

    @Test
    void jdkConsumerReadsExactTimesThreadsAndRawKernelTimes() throws Exception {
        List<RecordedEvent> all = RecordingFile.readAllEvents(file);
        List<RecordedEvent> s = all.stream().filter(e -> e.getEventType().getName().equals(SLICE.name())).toList();
        List<RecordedEvent> m = all.stream().filter(e -> e.getEventType().getName().equals(MOMENT.name())).toList();
        assertEquals(SLICES, s.size());
        assertEquals(MOMENTS, m.size());
        assertTrue(all.stream().anyMatch(e -> e.getEventType().getName().equals("jdk.CPULoad")), "the JVM's own events are gone");
        RecordedThread jvmView = all.stream().filter(e -> e.getEventType().getName().equals("jdk.ThreadCPULoad"))
                .map(RecordedEvent::getThread).filter(t -> t != null && t.getJavaThreadId() == worker.javaThreadId())
                .findFirst().orElseThrow(() -> new AssertionError("the JVM recorded no jdk.ThreadCPULoad for the worker"));
        assertEquals("jdk.jfr.Timestamp", s.getFirst().getEventType().getField("kernelTime").getContentType());
        assertEquals("jdk.jfr.Timespan", s.getFirst().getEventType().getField("gap").getContentType());
        assertEquals("jdk.jfr.Frequency", s.getFirst().getEventType().getField("rate").getContentType());
        assertEquals("Kernel Time", s.getFirst().getEventType().getField("kernelTime").getLabel());
        for (int i = 0; i < SLICES; i++) {
            RecordedEvent e = s.get(i);
            long[] x = slices.get(i);
            assertEquals(expected(x[0]), nanos(e.getStartTime()), "slice " + i + " start");
            assertEquals(x[1], e.getDuration().toNanos(), "slice " + i + " duration");
            assertEquals(clock.ticks(x[0]), e.getLong("kernelTime"), "kernelTime is in the recording's ticks");
            assertEquals(x[0], e.getLong("monotonicNanos"));
            assertEquals(e.getStartTime(), e.getInstant("kernelTime"), "kernelTime reads as the same instant");
            assertEquals("vm" + (i % 2), e.getString("vm"));
            assertEquals(i % 3, e.getInt("cpu"));
            assertEquals(i % 2 == 0, e.getBoolean("inKvmRun"));
            assertEquals(i, e.getLong("exits"));
            assertEquals(x[1], e.getDuration("gap").toNanos());
            RecordedThread t = e.getThread();
            assertEquals(worker.javaThreadId(), t.getJavaThreadId());
            assertEquals(worker.osThreadId(), t.getOSThreadId());
            assertEquals(worker.name(), t.getJavaName());
            assertEquals(jvmView.getId(), t.getId(), "not the thread id the JVM's chunks use");
        }
        for (int i = 0; i < MOMENTS; i++) {
            RecordedEvent e = m.get(i);
            assertEquals(expected(moments.get(i)), nanos(e.getStartTime()));
            assertNull(e.getThread());
            assertEquals(-1 - i, e.getInt("cpu"));
            assertEquals("vCPU → vCPU", e.getString("note"));
        }
    }

    @Test
    void jfrPrintShowsStartTimeEqualToKernelTimeOnTheWorkerThread() throws Exception {
        List<Readers.Printed> p = Readers.printed(file, SLICE.name(), "kernelTime");
        assertEquals(SLICES, p.size());
        for (int i = 0; i < SLICES; i++) {
            assertEquals(p.get(i).start(), p.get(i).time(), "jfr print: slice " + i + " startTime differs from kernelTime");
            assertEquals(Instant.ofEpochSecond(0, expected(slices.get(i)[0])), p.get(i).start());
            assertEquals(worker.name(), p.get(i).thread());
        }
        assertEquals(MOMENTS, Readers.printed(file, MOMENT.name(), "kernelTime").size());
        String text = Readers.jfr("print", "--events", SLICE.name() + "," + MOMENT.name() + ",jdk.CPULoad", file.toString());
        assertTrue(text.contains("vCPU → vCPU") && text.contains("jdk.CPULoad"), "jfr print (text) lacks events");
    }

    @Test
    void jfrSummaryAndViewListTheEventsBesideTheJvms() throws Exception {
        String summary = Readers.jfr("summary", file.toString());
        assertTrue(Pattern.compile(Pattern.quote(SLICE.name()) + "\\s+" + SLICES + "\\s").matcher(summary).find(), summary);
        assertTrue(Pattern.compile(Pattern.quote(MOMENT.name()) + "\\s+" + MOMENTS + "\\s").matcher(summary).find(), summary);
        assertTrue(summary.contains("jdk.CPULoad"), summary);
        String view = Readers.jfr("view", "--width", "200", SLICE.name(), file.toString());
        assertTrue(view.contains("Test Slice") && view.contains(worker.name()), view);
        assertTrue(Readers.jfr("view", MOMENT.name(), file.toString()).contains("Test Moment"));
        assertTrue(Readers.jfr("view", "cpu-load", file.toString()).contains("CPU Load"));
    }

    @Test
    void missionControlReadsExactTimesOnTheJvmsOwnThreadLane() throws Exception {
        JmcView v = JmcView.load(file.toFile(), "kernelTime");
        assertEquals(UnitLookup.TIMESTAMP, v.contentType(SLICE.name(), "kernelTime"), "kernelTime is not a timestamp in JMC");
        assertEquals(UnitLookup.TIMESPAN, v.contentType(SLICE.name(), "gap"));
        assertEquals(UnitLookup.FREQUENCY, v.contentType(SLICE.name(), "rate"));
        List<JmcView.Item> s = v.of(SLICE.name());
        assertEquals(SLICES, s.size());
        IMCThread jvmLane = v.of("jdk.ThreadCPULoad").stream().map(JmcView.Item::thread)
                .filter(t -> t != null && t.getThreadId() != null && t.getThreadId() == worker.javaThreadId()).findFirst()
                .orElseThrow(() -> new AssertionError("JMC sees no jdk.ThreadCPULoad of the worker"));
        List<long[]> byStart = new ArrayList<>(slices);
        byStart.sort((a, b) -> Long.compare(a[0], b[0]));
        List<JmcView.Item> sorted = new ArrayList<>(s);
        sorted.sort((a, b) -> Long.compare(a.start(), b.start()));
        for (int i = 0; i < SLICES; i++) {
            JmcView.Item it = sorted.get(i);
            assertEquals(expected(byStart.get(i)[0]), it.start(), "JMC: slice start");
            assertEquals(it.start() + byStart.get(i)[1], it.end(), "JMC: slice end");
            assertNotNull(it.time());
            assertEquals(0, it.start() - it.time(), "JMC: startTime - kernelTime");
            assertEquals(jvmLane, it.thread(), "JMC puts the slice on another thread than the JVM's own events of it");
        }
        assertEquals(MOMENTS, v.of(MOMENT.name()).size());
        // Strings are written once per chunk, in its constant pool, and referred to by key.
        List<String> vms = JmcView.strings(file.toFile(), SLICE.name(), "vm");
        assertEquals(SLICES, vms.size());
        assertEquals(java.util.Set.of("vm0", "vm1"), java.util.Set.copyOf(vms), "JMC: the pooled vm names");
        assertEquals(List.of("vCPU → vCPU"), JmcView.strings(file.toFile(), MOMENT.name(), "note").stream().distinct().toList(),
                "JMC: the pooled note");
    }

    @Test
    void manyEventsAreSplitIntoChunksThatOrderedReadersCanHold(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("many.jfr");
        int n = 500_000; // about 10 MB of events: two appended chunks
        try (Recording r = new Recording(); TimelineChunk chunk = TimelineChunk.open(dir.resolve("many.spill"))) {
            r.setDestination(f);
            r.start();
            ClockMapping.mark();
            long base = System.nanoTime();
            for (int i = 0; i < n; i++) {
                long at = base + i * 1_000L;
                // more distinct notes than a chunk pools: the rest stay inline
                chunk.event(MOMENT, at, 0, null).putLong("kernelTime", at).putInt("cpu", i).putString("note", "n" + i % DISTINCT_NOTES)
                        .commit();
            }
            r.stop();
            ClockMapping c = ClockMapping.read(f);
            chunk.appendTo(f, c);
        }
        String summary = Readers.jfr("summary", f.toString());
        java.util.regex.Matcher chunks = Pattern.compile("Chunks: (\\d+)").matcher(summary);
        assertTrue(chunks.find(), summary);
        assertTrue(Integer.parseInt(chunks.group(1)) >= 1 + 2, summary);
        long[] seen = {0, -1};
        try (var s = jdk.jfr.consumer.EventStream.openFile(f)) { // ordered: sorts each chunk in memory
            s.onEvent(MOMENT.name(), e -> {
                assertTrue(e.getInt("cpu") > seen[1], "events out of order across chunks");
                assertEquals("n" + e.getInt("cpu") % DISTINCT_NOTES, e.getString("note"));
                seen[1] = e.getInt("cpu");
                seen[0]++;
            });
            s.start();
        }
        assertEquals(n, seen[0]);
    }

    @Test
    void wrongFieldsAreRefusedBeforeTheyReachTheFile(@TempDir Path dir) throws Exception {
        try (TimelineChunk c = TimelineChunk.open(dir.resolve("x.spill"))) {
            assertThrows(IllegalStateException.class, () -> c.event(SLICE, 1, 0, null).putInt("vm", 1));
            assertThrows(IllegalStateException.class, () -> c.event(SLICE, 1, 0, null).putInt("cpu", 1));
            assertThrows(IllegalStateException.class, () -> c.event(MOMENT, 1, 0, null).putLong("kernelTime", 1).commit());
            assertThrows(IllegalArgumentException.class, () -> c.event(SLICE, 1, -5, null));
            assertThrows(IllegalArgumentException.class, () -> TimelineType.of(Unsupported.class));
            assertEquals(0, c.eventCount());
            Path empty = dir.resolve("empty.jfr");
            Files.write(empty, new byte[0]);
            assertEquals(0, c.appendTo(empty, new ClockMapping(0, 0, 1, 0, 0, 0, 1_000_000_000L)));
            assertEquals(0, Files.size(empty));
        }
        assertTrue(Files.notExists(dir.resolve("x.spill")), "the spill file outlives its chunk");
    }

    @Name("jkvmtest.Unsupported")
    static final class Unsupported extends Event {
        double ratio;
    }

    /** Where a CLOCK_MONOTONIC time lands on the recording's axis, through its ticks as readers convert them. */
    private long expected(long monotonic) {
        return clock.epochNanosOfTicks(clock.ticks(monotonic));
    }

    private static long nanos(Instant i) {
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }
}
