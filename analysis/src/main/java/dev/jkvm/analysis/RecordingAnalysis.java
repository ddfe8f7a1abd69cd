package dev.jkvm.analysis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
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
        if (!Files.isRegularFile(file)) throw new BadRecordingException("no such recording: " + file);
        try (ScheduleAnalyzer a = new ScheduleAnalyzer(file.toString())) {
            if (sink != null) a.keepExitTimes();
            read(file, a);
            RunSummary s = a.finish(sink);
            if (s.vcpus().isEmpty()) {
                throw new BadRecordingException(file + " has no jkvm vCPU events (was it recorded with 'jkvm run --jfr'?)");
            }
            return s;
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
        try (EventStream in = EventStream.openFile(file)) {
            in.setReuse(true);
            in.setOrdered(false);
            // Without an error handler the stream prints a handler's exception and goes on with the next event.
            in.onError(t -> {
                if (failure[0] == null) failure[0] = t instanceof RuntimeException r ? r : new IllegalStateException(t);
            });
            SwitchFields schedIn = new SwitchFields(), schedOut = new SwitchFields(), kernel = new SwitchFields(), cls = new SwitchFields();
            in.onEvent("jkvm.VcpuSchedIn", e -> {
                long i = ++n[0];
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
            in.onEvent("jkvm.VcpuSchedOut", e -> {
                long i = ++n[0];
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
            in.onEvent("jkvm.VcpuSwitch", e -> {
                n[0]++;
                cls.of(e);
                a.switchClass((String) e.getValue("vm"), (Integer) e.getValue("vcpu"), (Integer) e.getValue("cpu"), cls.time(e),
                        (String) e.getValue("switchClass"));
            });
            in.onEvent("jkvm.KernelSchedSwitch", e -> {
                n[0]++;
                kernel.of(e);
                a.kernelSwitch((Integer) e.getValue("cpu"), kernel.time(e), (Integer) e.getValue("nextTid"), (String) e.getValue("nextComm"),
                        (String) e.getValue("nextVm"));
            });
            in.onEvent("jkvm.VmExit", e -> {
                n[0]++;
                a.vmExit((String) e.getValue("vm"), (Integer) e.getValue("vcpu"), (String) e.getValue("reason"), e.getDuration().toNanos(),
                        startEpochNanos(e));
            });
            in.onEvent("jkvm.WakeupLatency", e -> {
                n[0]++;
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
            rare.put("jkvm.RecorderSummary", e -> a.recorderSummary(e.getLong("switchRecords"), e.getLong("lostRecords"),
                    e.hasField("failures") ? e.getString("failures") : null));
            rare.put("jkvm.Host", e -> a.host(new RunSummary.Host(true, e.getString("kernelRelease"), e.getString("kernelCommandLine"),
                    e.getString("cpuVendor"), e.getString("cpuModel"), e.getString("microcode"), e.getString("vendorModule"),
                    e.getString("vendorKind"), e.getString("kvmParameters"), e.getString("smt"), e.getInt("cpu"), e.getString("governor"),
                    e.getString("frequencyRange"), e.getString("isolatedCpus"), e.getString("nohzFull"), e.getString("transparentHugepages"),
                    e.getString("jkvmVersion"), e.getString("jdkVersion"))));
            rare.put("jkvm.RunHygiene", e -> a.runHygiene(e.getLong("foreignTime"), e.getDouble("foreignFraction"), e.getString("siblingCpus"),
                    e.getDouble("siblingLoad"), e.getInt("frequencyChanges"), e.getLong("minFrequency"), e.getLong("maxFrequency"),
                    e.getLong("stealTime")));
            rare.forEach((name, handler) -> in.onEvent(name, e -> {
                n[0]++;
                handler.accept(e);
            }));
            in.start();
        } catch (NoSuchFileException e) {
            throw new BadRecordingException("no such recording: " + file);
        } catch (IOException e) {
            throw new BadRecordingException(file + " is not a JFR recording (" + e.getMessage() + ")");
        }
        if (failure[0] != null) throw failure[0];
        return n[0];
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
