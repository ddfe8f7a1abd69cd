package dev.jkvm.analysis;

import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/**
 * Reads a jkvm recording (jdk.jfr.consumer; no KVM needed) and computes each vCPU's schedule from
 * its sched-in/out events, with the switch classes, kernel ground truth, exits and progress beside it.
 */
public final class RecordingAnalysis {
    /** The whole analysis: one schedule per vCPU, and the recorder's health. */
    public record Result(Path file, List<VcpuSchedule> vcpus, long switchRecords, long lostRecords, long lagP99Nanos, boolean hasRecorderSummary) {}

    private RecordingAnalysis() {}

    public static Result analyze(Path file) {
        List<RecordedEvent> events;
        try {
            events = RecordingFile.readAllEvents(file);
        } catch (NoSuchFileException e) {
            throw new UsageException("no such recording: " + file);
        } catch (IOException e) {
            if (!Files.isRegularFile(file)) throw new UsageException("no such recording: " + file);
            throw new UsageException(file + " is not a JFR recording (" + e.getMessage() + ")");
        }
        Map<String, Builder> byVcpu = new TreeMap<>();
        List<RecordedEvent> switches = new ArrayList<>();
        long switchRecords = 0, lost = 0, lagP99 = 0;
        boolean summary = false;
        for (RecordedEvent e : events) {
            String type = e.getEventType().getName();
            switch (type) {
                case "jkvm.VcpuSchedIn", "jkvm.VcpuSchedOut" -> switches.add(e);
                case "jkvm.VcpuSwitch" -> {
                    Builder b = builder(byVcpu, e.getString("vm"), e.getInt("vcpu"));
                    switch (e.getString("switchClass")) {
                        case "first load on this CPU" -> b.firstRuns++;
                        case "same vCPU reloaded" -> b.sameVcpu++;
                        case "another vCPU was loaded" -> b.fromOtherVcpu++;
                        default -> { }
                    }
                }
                case "jkvm.KvmSchedIn" -> {
                    String vm = e.getString("vm");
                    if (vm != null && !vm.isEmpty()) builder(byVcpu, vm, e.getInt("vcpu")).kvmSchedIns++;
                }
                case "jkvm.VmEnd" -> {
                    Builder b = builder(byVcpu, e.getString("vm"), 0);
                    b.exits = e.getLong("exits");
                    b.progress = e.getLong("progress");
                    b.result = e.getString("result");
                }
                case "jkvm.RecorderSummary" -> {
                    summary = true;
                    switchRecords = e.getLong("switchRecords");
                    lost = e.getLong("lostRecords");
                    lagP99 = e.getLong("lagP99");
                }
                default -> { }
            }
        }
        switches.sort(Comparator.comparingLong(e -> e.getLong("kernelTime")));
        for (RecordedEvent e : switches) {
            Builder b = builder(byVcpu, e.getString("vm"), e.getInt("vcpu"));
            b.tid = e.getInt("tid");
            long t = e.getLong("kernelTime");
            if (e.getEventType().getName().equals("jkvm.VcpuSchedIn")) {
                b.schedIns++;
                if (b.lastOut >= 0) {
                    long off = t - b.lastOut;
                    if (b.lastOutPreempted) {
                        b.wait += off;
                        b.maxDelay = Math.max(b.maxDelay, off);
                    } else {
                        b.sleep += off;
                    }
                }
                b.lastIn = t;
                b.lastOut = -1;
            } else {
                b.schedOuts++;
                boolean preempted = e.getBoolean("preempted");
                if (preempted) b.preemptions++;
                if (b.lastIn >= 0) b.run += t - b.lastIn;
                b.lastOut = t;
                b.lastOutPreempted = preempted;
                b.lastIn = -1;
            }
        }
        List<VcpuSchedule> vcpus = byVcpu.values().stream().map(Builder::build).toList();
        return new Result(file, vcpus, switchRecords, lost, lagP99, summary);
    }

    private static Builder builder(Map<String, Builder> all, String vm, int vcpu) {
        return all.computeIfAbsent(vm + "/" + String.format("%04d", vcpu), k -> new Builder(vm, vcpu));
    }

    private static final class Builder {
        final String vm;
        final int vcpu;
        int tid = -1;
        long schedIns, schedOuts, preemptions, run, wait, sleep, maxDelay, firstRuns, sameVcpu, fromOtherVcpu, kvmSchedIns;
        long exits = -1, progress = -1;
        String result = "";
        long lastIn = -1, lastOut = -1;
        boolean lastOutPreempted;

        Builder(String vm, int vcpu) {
            this.vm = vm;
            this.vcpu = vcpu;
        }

        VcpuSchedule build() {
            return new VcpuSchedule(vm, vcpu, tid, schedIns, schedOuts, preemptions, run, wait, sleep, maxDelay,
                    firstRuns, sameVcpu, fromOtherVcpu, kvmSchedIns, exits, progress, result);
        }
    }

    /** The per-vCPU table, perf-sched style. */
    public static String table(Result r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-6s %5s %8s %8s %11s %11s %11s %9s %10s %6s %6s %6s %8s %10s  %s%n",
                "VM", "vCPU", "TID", "switches", "run ms", "wait ms", "sleep ms", "run %", "max delay", "first", "same", "other",
                "kvm_in", "exits", "result"));
        for (VcpuSchedule v : r.vcpus()) {
            sb.append(String.format(java.util.Locale.ROOT, "%-6s %5d %8d %8d %11.3f %11.3f %11.3f %8.1f%% %7.3f ms %6d %6d %6d %8d %10s  %s%n",
                    v.vm(), v.vcpu(), v.tid(), v.schedIns(), v.runNanos() / 1e6, v.waitNanos() / 1e6, v.sleepNanos() / 1e6,
                    100 * v.runShare(), v.maxDelayNanos() / 1e6, v.firstRuns(), v.sameVcpu(), v.fromOtherVcpu(), v.kvmSchedIns(),
                    v.exits() < 0 ? "-" : Long.toString(v.exits()), v.result()));
        }
        if (r.hasRecorderSummary()) {
            sb.append(String.format(java.util.Locale.ROOT, "recorder: %d switch records, %d lost%s, commit lag p99 %.3f ms%n",
                    r.switchRecords(), r.lostRecords(), r.lostRecords() == 0 ? "" : " (THE RECORDING IS INCOMPLETE)", r.lagP99Nanos() / 1e6));
        }
        return sb.toString();
    }

    /** The same as JSON: one object per vCPU, numbers in nanoseconds. */
    public static String json(Result r) {
        StringBuilder sb = new StringBuilder("{\n  \"file\": ").append(quote(r.file().toString())).append(",\n  \"vcpus\": [");
        for (int i = 0; i < r.vcpus().size(); i++) {
            VcpuSchedule v = r.vcpus().get(i);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("vm", v.vm()); m.put("vcpu", v.vcpu()); m.put("tid", v.tid()); m.put("schedIns", v.schedIns());
            m.put("schedOuts", v.schedOuts()); m.put("preemptions", v.preemptions()); m.put("runNanos", v.runNanos());
            m.put("waitNanos", v.waitNanos()); m.put("sleepNanos", v.sleepNanos()); m.put("maxDelayNanos", v.maxDelayNanos());
            m.put("firstRuns", v.firstRuns()); m.put("sameVcpu", v.sameVcpu()); m.put("fromOtherVcpu", v.fromOtherVcpu());
            m.put("kvmSchedIns", v.kvmSchedIns()); m.put("exits", v.exits()); m.put("progress", v.progress()); m.put("result", v.result());
            sb.append(i == 0 ? "\n    {" : ",\n    {");
            int j = 0;
            for (var e : m.entrySet()) {
                sb.append(j++ == 0 ? "" : ", ").append(quote(e.getKey())).append(": ");
                sb.append(e.getValue() instanceof String s ? quote(s) : e.getValue().toString());
            }
            sb.append('}');
        }
        sb.append(r.vcpus().isEmpty() ? "]" : "\n  ]");
        sb.append(",\n  \"switchRecords\": ").append(r.switchRecords()).append(",\n  \"lostRecords\": ").append(r.lostRecords()).append("\n}\n");
        return sb.toString();
    }

    private static String quote(String s) {
        StringBuilder q = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                case '\n' -> q.append("\\n");
                default -> {
                    if (c < 0x20) q.append(String.format("\\u%04x", (int) c));
                    else q.append(c);
                }
            }
        }
        return q.append('"').toString();
    }
}
