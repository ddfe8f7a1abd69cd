package dev.jkvm.analysis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import jdk.jfr.EventType;
import jdk.jfr.consumer.EventStream;
import jdk.jfr.consumer.RecordedEvent;

/**
 * Reads a jkvm recording with the JDK's parser ({@code jdk.jfr.consumer.EventStream} over the file),
 * one event at a time (never the whole file), into a {@link ScheduleAnalyzer}. Needs no KVM.
 */
public final class RecordingAnalysis {
    /**
     * Every 8th event read (counted over the events the analysis reads, when it is a sched-in or -out)
     * maps JFR time onto kernel time: enough samples for the minimum commit lag, and it spares an
     * Instant per event (the mapping only places exits in the picture).
     */
    private static final long CLOCK_SAMPLE_MASK = 7;

    private RecordingAnalysis() {}

    public static RunSummary analyze(Path file) {
        return analyze(file, null);
    }

    /** Analyzes one file; {@code sink} (may be null) also gets the timeline, exits included. */
    public static RunSummary analyze(Path file, TimelineSink sink) {
        if (!Files.isRegularFile(file)) throw BadRecordingException.notAFile(file);
        try (ScheduleAnalyzer a = new ScheduleAnalyzer(file.toString())) {
            if (sink != null) a.keepExitTimes();
            read(file, a);
            RunSummary s = a.finish(sink);
            if (s.vcpus().isEmpty()) {
                String why = a.switchesNotRecorded();
                if (why != null) throw new BadRecordingException(file + " has no vCPU switch events: the run could not record them (" + why + ")");
                String fault = parserFault(file);
                throw new BadRecordingException(fault != null
                        ? file + " is corrupt: the JDK's JFR parser fails on it (" + fault + "), so no jkvm event could be read"
                        : a.anyVmStarted() ? file + " is a jkvm recording without vCPU switch or exit events: it was written without jkvm's"
                                + " timeline chunks (the run's own output says why, e.g. a full disk), so there is nothing to analyze"
                        : file + " has no jkvm vCPU events (was it recorded with 'jkvm run --jfr'?)");
            }
            return s;
        }
    }

    /**
     * What the JDK's parser says when it reads every event of {@code file} (null: it reads them all).
     * Asked only of a file in which the stream found no jkvm event: a stream that stops at damage
     * before the first chunk's metadata has no event types to check the file's own counts against,
     * and such a file is corrupt, not "not a jkvm recording".
     */
    private static String parserFault(Path file) {
        try (jdk.jfr.consumer.RecordingFile in = new jdk.jfr.consumer.RecordingFile(file)) {
            while (in.hasMoreEvents()) in.readEvent();
            return null;
        } catch (IOException | RuntimeException | InternalError e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    /**
     * Streams the events the analysis needs into the analyzer and returns how many that were. The
     * JDK's parser skips every other event type by its size without decoding it (the stream is
     * filtered by event name); events are handed over in file order, not time order (the analyzer
     * sorts by kernel time itself), and the parser reuses one event object per type. Each handler reads
     * a field with {@code getValue}: one scan of the event's fields, where the typed getters scan
     * twice (getString) or also check for unsigned types (getInt, getLong).
     */
    public static long read(Path file, ScheduleAnalyzer a) {
        ChunkLayout.check(file);
        long[] n = {0};
        RuntimeException[] failure = {null};
        HandedOver handed = new HandedOver();
        try (EventStream in = EventStream.openFile(file)) {
            in.setReuse(true);
            in.setOrdered(false);
            // Every handler is registered through here: the events read are counted once, in total and by type.
            BiConsumer<String, Consumer<RecordedEvent>> on = (name, handler) -> {
                handed.names.add(name);
                in.onEvent(name, e -> {
                    n[0]++;
                    handed.count(e.getEventType());
                    handler.accept(e);
                });
            };
            in.onMetadata(m -> handed.types(m.getEventTypes()));
            // Without an error handler the stream prints a handler's exception and goes on with the next event.
            in.onError(t -> {
                if (failure[0] == null) failure[0] = t instanceof RuntimeException r ? r : new IllegalStateException(t);
            });
            SwitchFields schedIn = new SwitchFields(), schedOut = new SwitchFields(), kernel = new SwitchFields(), cls = new SwitchFields();
            on.accept("jkvm.VcpuSchedIn", e -> {
                long i = n[0];
                schedIn.of(e);
                long t = schedIn.time(e);
                String vm = (String) e.getValue("vm");
                int vcpu = (Integer) e.getValue("vcpu"), cpu = (Integer) e.getValue("cpu");
                a.schedIn(vm, vcpu, a.knowsTid(vm, vcpu) ? -1 : (Integer) e.getValue("tid"), cpu, t, schedIn.lag(e));
                if ((i & CLOCK_SAMPLE_MASK) == 0) a.clockSample(startEpochNanos(e), t);
                if (schedIn.late(e)) a.lateRecord();
                String c = schedIn.switchClass(e);
                if (c != null && !c.isEmpty()) a.switchClass(vm, vcpu, cpu, t, c);
            });
            on.accept("jkvm.VcpuSchedOut", e -> {
                long i = n[0];
                schedOut.of(e);
                long t = schedOut.time(e);
                String vm = (String) e.getValue("vm");
                int vcpu = (Integer) e.getValue("vcpu");
                a.schedOut(vm, vcpu, a.knowsTid(vm, vcpu) ? -1 : (Integer) e.getValue("tid"), (Integer) e.getValue("cpu"), t,
                        (Boolean) e.getValue("preempted"), schedOut.lag(e));
                if ((i & CLOCK_SAMPLE_MASK) == 0) a.clockSample(startEpochNanos(e), t);
                if (schedOut.late(e)) a.lateRecord();
            });
            // Recordings before 2026-11-27 wrote each sched-in's class as an event of its own.
            on.accept("jkvm.VcpuSwitch", e -> {
                cls.of(e);
                a.switchClass((String) e.getValue("vm"), (Integer) e.getValue("vcpu"), (Integer) e.getValue("cpu"), cls.time(e),
                        (String) e.getValue("switchClass"));
            });
            on.accept("jkvm.KernelSchedSwitch", e -> {
                kernel.of(e);
                a.kernelSwitch((Integer) e.getValue("cpu"), kernel.time(e), (Integer) e.getValue("nextTid"), (String) e.getValue("nextComm"),
                        (String) e.getValue("nextVm"));
            });
            on.accept("jkvm.VmExit", e -> {
                a.vmExit((String) e.getValue("vm"), (Integer) e.getValue("vcpu"), (String) e.getValue("reason"), e.getDuration().toNanos(),
                        startEpochNanos(e));
            });
            on.accept("jkvm.WakeupLatency", e -> {
                a.wakeup(e.getString("vm"), e.getInt("vcpu"), e.getLong("latency"), e.getLong("missedTicks"));
            });
            // The rest come a few times per VM or per run: read plainly.
            Map<String, Consumer<RecordedEvent>> rare = new LinkedHashMap<>();
            rare.put("jkvm.VmStart", e -> a.vmStart(e.getString("vm"), e.getInt("tid"), e.getInt("nice")));
            rare.put("jkvm.VmEnd", e -> a.vmEnd(e.getString("vm"), e.getString("result"), e.getLong("progress")));
            rare.put("jkvm.VcpuExitStats", e -> a.exitStats(e.getString("vm"), e.getInt("vcpu"), e.getString("reason"), e.getLong("count"),
                    e.getLong("mean"), e.getLong("p99"), e.getLong("max")));
            rare.put("jkvm.GuestGap", e -> a.guestGap(e.getString("vm"), e.getLong("gap")));
            rare.put("jkvm.StealTime", e -> a.steal(e.getString("vm"), e.getInt("vcpu"), e.getLong("steal")));
            rare.put("jkvm.LinuxWorkloadSteal", e -> a.linuxSteal(e.getString("vm"), e.getInt("vcpu"), e.getLong("guestSteal"),
                    e.getLong("hostRunQueueWait")));
            rare.put("jkvm.VcpuReload", e -> a.reload(e.getString("switchClass"), e.getLong("latency")));
            rare.put("jkvm.PerfRecordsLost", e -> a.recordsLost(e.getString("source"), e.getLong("lost")));
            rare.put("jkvm.RecorderSummary", e -> {
                a.recorderSummary(e.getLong("switchRecords"), e.getLong("lostRecords"), e.hasField("failures") ? e.getString("failures") : null);
                if (e.hasField("notRecorded")) a.switchesNotRecorded(e.getString("notRecorded"));
            });
            rare.put("jkvm.Host", e -> a.host(new RunSummary.Host(true, e.getString("kernelRelease"), e.getString("kernelCommandLine"),
                    e.getString("cpuVendor"), e.getString("cpuModel"), e.getString("microcode"), e.getString("vendorModule"),
                    e.getString("vendorKind"), e.getString("kvmParameters"), e.getString("smt"), e.getInt("cpu"), e.getString("governor"),
                    e.getString("frequencyRange"), e.getString("isolatedCpus"), e.getString("nohzFull"), e.getString("transparentHugepages"),
                    e.getString("jkvmVersion"), e.getString("jdkVersion"))));
            rare.put("jkvm.RunHygiene", e -> a.runHygiene(e.getLong("foreignTime"), e.getDouble("foreignFraction"), e.getString("siblingCpus"),
                    e.getDouble("siblingLoad"), e.getInt("frequencyChanges"), e.getLong("minFrequency"), e.getLong("maxFrequency"),
                    e.getLong("stealTime")));
            rare.forEach(on);
            try {
                in.start();
            } catch (RuntimeException | InternalError e) {
                // Handlers' exceptions go to onError: this is the parser's own, on bytes it cannot decode (a damaged
                // metadata event: an index out of bounds, or an InternalError for a type name that is not a Java name).
                throw new BadRecordingException(file + " is corrupt: the JDK's JFR parser failed after " + n[0] + " of its jkvm events ("
                        + e.getClass().getSimpleName() + ": " + e.getMessage() + "), so the rest could not be read");
            }
        } catch (NoSuchFileException e) {
            throw new BadRecordingException("no such recording: " + file);
        } catch (java.nio.file.AccessDeniedException e) {
            throw BadRecordingException.unreadable(file, e);
        } catch (IOException e) {
            throw new BadRecordingException(file + " is not a JFR recording (" + e.getMessage() + ")");
        }
        if (failure[0] != null) throw failure[0];
        handed.requireAll(file, RecordCensus.count(file, handed.checkedIds()));
        return n[0];
    }

    /**
     * The events the stream handed over, by type, against the file's own count of them ({@link
     * RecordCensus}): the JDK's {@code EventStream} ends quietly at bytes it cannot parse, so a
     * recording damaged inside a chunk would otherwise be analyzed up to the damage only. Types are
     * matched by id, the id a chunk's metadata gives the name; an id that names another type in
     * another chunk (recordings of different JVMs joined into one file) is left out of the check.
     */
    private static final class HandedOver {
        final Set<String> names = new HashSet<>();
        private final Map<Long, String> nameOfId = new HashMap<>();
        private final Set<Long> ambiguous = new HashSet<>();
        private final Map<EventType, long[]> byType = new IdentityHashMap<>();
        private EventType last;
        private long[] lastCount;

        void types(List<EventType> types) {
            for (EventType t : types) {
                String before = nameOfId.putIfAbsent(t.getId(), t.getName());
                if (before != null && !before.equals(t.getName())) ambiguous.add(t.getId());
            }
        }

        void count(EventType t) {
            if (t != last) { // events of one type come in runs: one map lookup per run
                last = t;
                lastCount = byType.computeIfAbsent(t, k -> new long[1]);
            }
            lastCount[0]++;
        }

        Set<Long> checkedIds() {
            Set<Long> ids = new HashSet<>();
            nameOfId.forEach((id, name) -> {
                if (names.contains(name) && !ambiguous.contains(id)) ids.add(id);
            });
            return ids;
        }

        void requireAll(Path file, Map<Long, Long> held) {
            Map<Long, Long> got = new HashMap<>();
            byType.forEach((t, c) -> got.merge(t.getId(), c[0], Long::sum));
            long missing = 0, total = 0;
            for (var e : held.entrySet()) {
                total += e.getValue();
                missing += Math.max(0, e.getValue() - got.getOrDefault(e.getKey(), 0L));
            }
            if (missing > 0) {
                throw new BadRecordingException(file + " is corrupt: the JDK's JFR parser stopped before " + missing + " of the " + total
                        + " jkvm events the file holds, at bytes it could not parse ('jfr summary " + file + "' names the fault)");
            }
        }
    }

    /**
     * Where one switch event type keeps its raw CLOCK_MONOTONIC nanoseconds (kernelTime in recordings
     * where it is a plain nanosecond value, monotonicNanos where kernelTime became a timestamp in JFR
     * ticks), whether it has the recorder's lag and late mark and (sched-ins) its class; looked up when the type changes,
     * not per event.
     */
    private static final class SwitchFields {
        private EventType type;
        private String time;
        private boolean hasLag, hasLate, hasClass;

        void of(RecordedEvent e) {
            EventType t = e.getEventType();
            if (t == type) return;
            type = t;
            time = t.getField("monotonicNanos") != null ? "monotonicNanos" : "kernelTime";
            hasLag = t.getField("lag") != null;
            hasLate = t.getField("late") != null;
            hasClass = t.getField("switchClass") != null;
        }

        /** The sched-in's class where the event carries it (empty: a late record), else null. */
        String switchClass(RecordedEvent e) {
            return hasClass ? (String) e.getValue("switchClass") : null;
        }

        long time(RecordedEvent e) {
            return (Long) e.getValue(time);
        }

        long lag(RecordedEvent e) {
            return hasLag ? (Long) e.getValue("lag") : 0;
        }

        boolean late(RecordedEvent e) {
            return hasLate && (Boolean) e.getValue("late");
        }
    }

    private static long startEpochNanos(RecordedEvent e) {
        return epochNanos(e.getStartTime());
    }

    private static long epochNanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
