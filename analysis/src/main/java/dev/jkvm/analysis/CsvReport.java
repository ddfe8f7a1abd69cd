package dev.jkvm.analysis;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** `jkvm analyze --format csv`: one row per recording and vCPU, the run's own values repeated on each; nanoseconds, RFC 4180 quoting. */
public final class CsvReport {
    static final String HEADER = "recording,vm,vcpu,tid,cpu,nice,share,run_ns,wait_ns,sleep_ns,slices,slice_p50_ns,slice_p90_ns,"
            + "slice_p99_ns,slice_max_ns,waits,wait_p50_ns,wait_p99_ns,wait_max_ns,sched_ins,preempted_outs,voluntary_outs,"
            + "first_runs,same_vcpu_resumed,from_other_vcpu,unclassified,exits,exits_by_reason,guest_gaps,steal_ns,result,"
            + "jain_index,weighted_jain_index,switches_per_s,gap_p50_ns,gap_p99_ns,lost_records,late_records,missing_sources,"
            + "name,vm_vcpus,voluntary_share,wakeups,wakeup_p50_ns,wakeup_p99_ns,wakeup_max_ns,missed_ticks,foreign_while_runnable_ns";

    private CsvReport() {}

    public static String render(List<RunSummary> runs) {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        for (RunSummary r : runs) {
            for (RunSummary.VcpuSummary v : r.vcpus()) {
                Dist s = v.slices(), w = v.waits();
                long exits = v.exits().stream().mapToLong(RunSummary.ExitSummary::count).sum();
                String byReason = v.exits().stream().map(e -> e.reason() + "=" + e.count()).collect(Collectors.joining(" "));
                Object[] cells = {r.source(), v.vm(), v.vcpu(), v.tid(), v.cpu(), v.nice(), f(v.share()), v.runNanos(), v.waitNanos(),
                    v.sleepNanos(), s.count(), s.p50(), s.p90(), s.p99(), s.max(), w.count(), w.p50(), w.p99(), w.max(), v.schedIns(),
                    v.preemptedOuts(), v.voluntaryOuts(), v.firstRuns(), v.sameVcpuResumed(), v.fromOtherVcpu(), v.unclassified(), exits, byReason,
                    v.guest().gaps(), v.guest().stealNanos(), v.result(), f(r.jainIndex()), f(r.weightedJainIndex()),
                    f(r.switchesPerSecond()), r.vcpuToVcpuGap().p50(), r.vcpuToVcpuGap().p99(), r.health().lostRecords(),
                    r.health().lateRecords(), String.join("; ", r.health().missingSources()), v.name(), v.vmVcpus(),
                    v.voluntaryShare() < 0 ? "-1" : f(v.voluntaryShare()), v.wakeupLatency().count(), v.wakeupLatency().p50(),
                    v.wakeupLatency().p99(), v.wakeupLatency().max(), v.missedTicks(),
                    r.health().kernelSwitches() ? v.foreignWhileRunnableNanos() : -1};
                for (int i = 0; i < cells.length; i++) sb.append(i == 0 ? "" : ",").append(cell(String.valueOf(cells[i])));
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    private static String f(double d) {
        return String.format(Locale.ROOT, "%.6f", d);
    }

    private static String cell(String s) {
        boolean quote = s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0;
        return quote ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
