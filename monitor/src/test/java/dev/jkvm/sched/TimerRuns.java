package dev.jkvm.sched;

import dev.jkvm.experiment.Experiment;
import dev.jkvm.experiment.ExperimentReport;
import dev.jkvm.experiment.ExperimentSpec;
import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import jdk.jfr.consumer.RecordedEvent;

/** Runs of the timer guests (tick, duty) pinned to the experiment CPU and recorded, for the KVM tests. */
final class TimerRuns {
    private TimerRuns() {}

    record Run(ExperimentReport report, Path jfr, String out) {}

    /** Guests given as "name" or "name:arg". */
    static Run run(Path dir, Duration d, String... guests) throws Exception {
        List<ExperimentSpec.VmSpec> specs = new ArrayList<>();
        for (String g : guests) {
            String[] p = g.split(":");
            GuestImage image = GuestCatalog.resolve(p[0]);
            long arg = p.length > 1 ? Long.parseLong(p[1]) : image.manifest().arg().orElse(0);
            specs.add(new ExperimentSpec.VmSpec(image, image.manifest().memory(), arg, null));
        }
        Files.createDirectories(dir);
        Path jfr = dir.resolve("timer.jfr");
        StringWriter out = new StringWriter();
        ExperimentSpec spec = new ExperimentSpec(specs, d, OptionalInt.of(SchedRecordingKvmTest.experimentCpu()), jfr, "jkvm-sched", false);
        ExperimentReport report = new Experiment(spec, new PrintWriter(out)).run();
        return new Run(report, jfr, out.toString());
    }

    /** One VM's ticks from its jkvm.WakeupLatency events. */
    /** {@code lateWakeups}: the ticks that found expiries coalesced behind them (missedTicks > 0). */
    record Ticks(int received, long missed, int lateWakeups, long[] latencies, long[] phaseDifferences) {
        double deliveredShare() {
            return (double) received / (received + missed);
        }

        long latencyQuantile(double q) {
            return quantile(latencies, q);
        }

        double meanLatency() {
            return Arrays.stream(latencies).average().orElse(Double.NaN);
        }
    }

    static Ticks ticks(Path jfr, String vm) throws Exception {
        List<RecordedEvent> ev = Recordings.events(jfr, "jkvm.WakeupLatency").stream().filter(e -> vm.equals(e.getString("vm"))).toList();
        long missed = 0;
        int late = 0;
        long[] lat = new long[ev.size()];
        List<Long> diffs = new ArrayList<>();
        for (int i = 0; i < ev.size(); i++) {
            RecordedEvent e = ev.get(i);
            missed += e.getLong("missedTicks");
            if (e.getLong("missedTicks") > 0) late++;
            lat[i] = e.getLong("latency");
            if (e.getLong("missedTicks") == 0) diffs.add(Math.abs(e.getLong("latency") - e.getLong("sinceExpiry")));
        }
        Arrays.sort(lat);
        return new Ticks(ev.size(), missed, late, lat, diffs.stream().mapToLong(Long::longValue).sorted().toArray());
    }

    static long quantile(long[] sorted, double q) {
        if (sorted.length == 0) return -1;
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1 < 0 ? 0 : (int) Math.ceil(q * sorted.length) - 1)];
    }

    /** One vCPU's on-CPU intervals and sched-outs from jkvm's switch records. */
    record Schedule(long[] slices, long onCpuNanos, long preempted, long voluntary) {}

    static Schedule schedule(Path jfr, String vm) throws Exception {
        List<RecordedEvent> all = new ArrayList<>();
        all.addAll(Recordings.events(jfr, "jkvm.VcpuSchedIn"));
        all.addAll(Recordings.events(jfr, "jkvm.VcpuSchedOut"));
        List<RecordedEvent> mine = all.stream().filter(e -> vm.equals(e.getString("vm")))
                .sorted((a, b) -> Long.compare(a.getLong("monotonicNanos"), b.getLong("monotonicNanos"))).toList();
        List<Long> slices = new ArrayList<>();
        long in = -1, preempted = 0, voluntary = 0;
        for (RecordedEvent e : mine) {
            if (e.getEventType().getName().equals("jkvm.VcpuSchedIn")) {
                in = e.getLong("monotonicNanos");
            } else {
                if (e.getBoolean("preempted")) preempted++; else voluntary++;
                if (in >= 0) slices.add(e.getLong("monotonicNanos") - in);
                in = -1;
            }
        }
        long[] s = slices.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Schedule(s, Arrays.stream(s).sum(), preempted, voluntary);
    }

    /** A VM's on-CPU intervals ({in, out} CLOCK_MONOTONIC ns, in order) from jkvm's switch records. */
    static List<long[]> onCpu(Path jfr, String vm) throws Exception {
        List<RecordedEvent> all = new ArrayList<>();
        all.addAll(Recordings.events(jfr, "jkvm.VcpuSchedIn"));
        all.addAll(Recordings.events(jfr, "jkvm.VcpuSchedOut"));
        List<long[]> slices = new ArrayList<>();
        long in = -1;
        for (RecordedEvent e : all.stream().filter(e -> vm.equals(e.getString("vm")))
                .sorted((a, b) -> Long.compare(a.getLong("monotonicNanos"), b.getLong("monotonicNanos"))).toList()) {
            if (e.getEventType().getName().equals("jkvm.VcpuSchedIn")) {
                in = e.getLong("monotonicNanos");
            } else if (in >= 0) {
                slices.add(new long[] {in, e.getLong("monotonicNanos")});
                in = -1;
            }
        }
        return slices;
    }

    /** The latest value of a vCPU's KVM binary statistic in the recording (jkvm.KvmStats), or -1. */
    static long kvmStat(Path jfr, String vm, String name) throws Exception {
        long v = -1;
        for (RecordedEvent e : jdk.jfr.consumer.RecordingFile.readAllEvents(jfr)) {
            if (e.getEventType().getName().equals("jkvm.KvmStats") && vm.equals(e.getString("vm"))
                    && "vcpu0".equals(e.getString("scope")) && name.equals(e.getString("name"))) {
                v = e.getLong("value");
            }
        }
        return v;
    }

    static String micros(long nanos) {
        return String.format("%.1f µs", nanos / 1e3);
    }
}
