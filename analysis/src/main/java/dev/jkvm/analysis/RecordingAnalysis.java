package dev.jkvm.analysis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.Map;
import jdk.jfr.EventType;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/**
 * Reads a jkvm recording with the JDK's {@code jdk.jfr.consumer.RecordingFile}, one event at a time
 * (never the whole file), into a {@link ScheduleAnalyzer}. Needs no KVM.
 */
public final class RecordingAnalysis {
    private enum Kind { SCHED_IN, SCHED_OUT, SWITCH, VM_START, VM_END, EXIT, EXIT_STATS, GAP, STEAL, LINUX_STEAL, KERNEL_SWITCH, LOST, SUMMARY, RELOAD, HOST, HYGIENE, WAKEUP, OTHER }

    /**
     * Every 8th event (by position) maps JFR time onto kernel time: enough samples for the minimum
     * commit lag, and it spares an Instant per event (the mapping only places exits in the picture).
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

    /** Streams every event of the file into the analyzer; returns how many events were read. */
    public static long read(Path file, ScheduleAnalyzer a) {
        Map<EventType, Kind> kinds = new IdentityHashMap<>();
        // Each field read by name scans the event's fields, so fields are read only when needed.
        Map<EventType, Boolean> hasLag = new IdentityHashMap<>();
        Map<EventType, String> timeField = new IdentityHashMap<>();
        Map<EventType, Boolean> hasLate = new IdentityHashMap<>();
        long n = 0;
        try (RecordingFile in = new RecordingFile(file)) {
            while (in.hasMoreEvents()) {
                RecordedEvent e = in.readEvent();
                n++;
                Kind k = kinds.computeIfAbsent(e.getEventType(), t -> kindOf(t.getName()));
                switch (k) {
                    case SCHED_IN -> {
                        long t = e.getLong(timeField(e, timeField));
                        String vm = e.getString("vm");
                        int vcpu = e.getInt("vcpu");
                        a.schedIn(vm, vcpu, a.knowsTid(vm, vcpu) ? -1 : e.getInt("tid"), e.getInt("cpu"), t, lag(e, hasLag));
                        if ((n & CLOCK_SAMPLE_MASK) == 0) a.clockSample(epochNanos(e.getStartTime()), t);
                        if (late(e, hasLate)) a.lateRecord();
                    }
                    case SCHED_OUT -> {
                        long t = e.getLong(timeField(e, timeField));
                        String vm = e.getString("vm");
                        int vcpu = e.getInt("vcpu");
                        a.schedOut(vm, vcpu, a.knowsTid(vm, vcpu) ? -1 : e.getInt("tid"), e.getInt("cpu"), t, e.getBoolean("preempted"),
                                lag(e, hasLag));
                        if ((n & CLOCK_SAMPLE_MASK) == 0) a.clockSample(epochNanos(e.getStartTime()), t);
                        if (late(e, hasLate)) a.lateRecord();
                    }
                    case SWITCH -> a.switchClass(e.getString("vm"), e.getInt("vcpu"), e.getInt("cpu"), e.getLong(timeField(e, timeField)),
                            e.getString("switchClass"));
                    case VM_START -> a.vmStart(e.getString("vm"), e.getInt("tid"), e.getInt("nice"));
                    case VM_END -> a.vmEnd(e.getString("vm"), e.getString("result"), e.getLong("progress"));
                    case EXIT -> a.vmExit(e.getString("vm"), e.getInt("vcpu"), e.getString("reason"), e.getDuration().toNanos(), epochNanos(e.getStartTime()));
                    case EXIT_STATS -> a.exitStats(e.getString("vm"), e.getInt("vcpu"), e.getString("reason"), e.getLong("count"),
                            e.getLong("mean"), e.getLong("p99"), e.getLong("max"));
                    case GAP -> a.guestGap(e.getString("vm"), e.getLong("gap"));
                    case STEAL -> a.steal(e.getString("vm"), e.getInt("vcpu"), e.getLong("steal"));
                    case LINUX_STEAL -> a.linuxSteal(e.getString("vm"), e.getInt("vcpu"), e.getLong("guestSteal"), e.getLong("hostRunQueueWait"));
                    case RELOAD -> a.reload(e.getString("switchClass"), e.getLong("latency"));
                    case WAKEUP -> a.wakeup(e.getString("vm"), e.getInt("vcpu"), e.getLong("latency"), e.getLong("missedTicks"));
                    case KERNEL_SWITCH -> a.kernelSwitch(e.getInt("cpu"), e.getLong(timeField(e, timeField)), e.getInt("nextTid"),
                            e.getString("nextComm"), e.getString("nextVm"));
                    case LOST -> a.recordsLost(e.getString("source"), e.getLong("lost"));
                    case SUMMARY -> a.recorderSummary(e.getLong("switchRecords"), e.getLong("lostRecords"),
                            e.hasField("failures") ? e.getString("failures") : null);
                    case HOST -> a.host(new RunSummary.Host(true, e.getString("kernelRelease"), e.getString("kernelCommandLine"),
                            e.getString("cpuVendor"), e.getString("cpuModel"), e.getString("microcode"), e.getString("vendorModule"),
                            e.getString("vendorKind"), e.getString("kvmParameters"), e.getString("smt"), e.getInt("cpu"), e.getString("governor"),
                            e.getString("frequencyRange"), e.getString("isolatedCpus"), e.getString("nohzFull"), e.getString("transparentHugepages"),
                            e.getString("jkvmVersion"), e.getString("jdkVersion")));
                    case HYGIENE -> a.runHygiene(e.getLong("foreignTime"), e.getDouble("foreignFraction"), e.getString("siblingCpus"),
                            e.getDouble("siblingLoad"), e.getInt("frequencyChanges"), e.getLong("minFrequency"), e.getLong("maxFrequency"),
                            e.getLong("stealTime"));
                    case OTHER -> { }
                }
            }
        } catch (NoSuchFileException e) {
            throw new BadRecordingException("no such recording: " + file);
        } catch (IOException e) {
            throw new BadRecordingException(file + " is not a JFR recording (" + e.getMessage() + ")");
        }
        return n;
    }

    /**
     * The field holding raw CLOCK_MONOTONIC nanoseconds: kernelTime in recordings where it is a plain
     * nanosecond value, monotonicNanos where kernelTime became a timestamp in JFR ticks.
     */
    private static String timeField(RecordedEvent e, Map<EventType, String> cache) {
        return cache.computeIfAbsent(e.getEventType(), t -> t.getField("monotonicNanos") != null ? "monotonicNanos" : "kernelTime");
    }

    /** The recorder's own late mark, in recordings that have it. */
    private static boolean late(RecordedEvent e, Map<EventType, Boolean> hasLate) {
        return hasLate.computeIfAbsent(e.getEventType(), t -> t.getField("late") != null) && e.getBoolean("late");
    }

    private static long lag(RecordedEvent e, Map<EventType, Boolean> hasLag) {
        return hasLag.computeIfAbsent(e.getEventType(), t -> t.getField("lag") != null) ? e.getLong("lag") : 0;
    }

    private static long epochNanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static Kind kindOf(String type) {
        return switch (type) {
            case "jkvm.VcpuSchedIn" -> Kind.SCHED_IN;
            case "jkvm.VcpuSchedOut" -> Kind.SCHED_OUT;
            case "jkvm.VcpuSwitch" -> Kind.SWITCH;
            case "jkvm.VmStart" -> Kind.VM_START;
            case "jkvm.VmEnd" -> Kind.VM_END;
            case "jkvm.VmExit" -> Kind.EXIT;
            case "jkvm.VcpuExitStats" -> Kind.EXIT_STATS;
            case "jkvm.GuestGap" -> Kind.GAP;
            case "jkvm.StealTime" -> Kind.STEAL;
            case "jkvm.LinuxWorkloadSteal" -> Kind.LINUX_STEAL;
            case "jkvm.KernelSchedSwitch" -> Kind.KERNEL_SWITCH;
            case "jkvm.PerfRecordsLost" -> Kind.LOST;
            case "jkvm.RecorderSummary" -> Kind.SUMMARY;
            case "jkvm.VcpuReload" -> Kind.RELOAD;
            case "jkvm.Host" -> Kind.HOST;
            case "jkvm.RunHygiene" -> Kind.HYGIENE;
            case "jkvm.WakeupLatency" -> Kind.WAKEUP;
            default -> Kind.OTHER;
        };
    }
}
