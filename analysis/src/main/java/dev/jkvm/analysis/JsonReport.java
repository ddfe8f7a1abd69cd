package dev.jkvm.analysis;

import java.util.List;
import java.util.Locale;

/**
 * `jkvm analyze --format json`: the summaries as one JSON document, described by the JSON Schema
 * {@value #SCHEMA_RESOURCE} (shipped in this jar). Durations are integer nanoseconds, shares are
 * fractions of 1, and a value that was not recorded is -1.
 */
public final class JsonReport {
    public static final String SCHEMA_ID = "https://jkvm.dev/schema/analyze-1.json";
    public static final String SCHEMA_RESOURCE = "/dev/jkvm/analysis/analyze.schema.json";

    private JsonReport() {}

    public static String render(List<RunSummary> runs) {
        StringBuilder sb = new StringBuilder("{\"$schema\": ").append(q(SCHEMA_ID)).append(", \"recordings\": [");
        for (int i = 0; i < runs.size(); i++) {
            sb.append(i == 0 ? "\n" : ",\n");
            run(sb, runs.get(i));
        }
        return sb.append("\n]}\n").toString();
    }

    private static void run(StringBuilder sb, RunSummary r) {
        sb.append("{\"source\": ").append(q(r.source()))
                .append(", \"windowStart\": ").append(r.windowStart())
                .append(", \"windowEnd\": ").append(r.windowEnd())
                .append(", \"windowNanos\": ").append(r.windowNanos())
                .append(", \"jainIndex\": ").append(num(r.jainIndex()))
                .append(", \"weightedJainIndex\": ").append(num(r.weightedJainIndex()))
                .append(", \"switchesPerSecond\": ").append(num(r.switchesPerSecond()))
                .append(",\n \"vcpuToVcpuGap\": ");
        dist(sb, r.vcpuToVcpuGap());
        sb.append(",\n \"slices\": ");
        dist(sb, r.slices());
        sb.append(",\n \"waits\": ");
        dist(sb, r.waits());
        RunSummary.Health h = r.health();
        sb.append(",\n \"health\": {\"complete\": ").append(h.complete())
                .append(", \"recorderSummary\": ").append(h.recorderSummary())
                .append(", \"switchRecords\": ").append(h.switchRecords())
                .append(", \"lostRecords\": ").append(h.lostRecords())
                .append(", \"lostSources\": ").append(strings(h.lostSources()))
                .append(", \"lateRecords\": ").append(h.lateRecords())
                .append(", \"maxLagNanos\": ").append(h.maxLagNanos())
                .append(", \"inconsistentSwitches\": ").append(h.inconsistentSwitches())
                .append(", \"kernelSwitches\": ").append(h.kernelSwitches())
                .append(", \"missingSources\": ").append(strings(h.missingSources())).append('}');
        sb.append(",\n \"foreignTasks\": [");
        for (int i = 0; i < r.foreignTasks().size(); i++) {
            RunSummary.ForeignTask f = r.foreignTasks().get(i);
            sb.append(i == 0 ? "" : ", ").append("{\"cpu\": ").append(f.cpu()).append(", \"comm\": ").append(q(f.comm()))
                    .append(", \"nanos\": ").append(f.nanos()).append('}');
        }
        sb.append("],\n \"idleNanos\": ").append(r.idleNanos());
        sb.append(",\n \"reloadLatency\": [");
        for (int i = 0; i < r.reloadLatency().size(); i++) {
            RunSummary.ReloadLatency l = r.reloadLatency().get(i);
            sb.append(i == 0 ? "" : ", ").append("{\"switchClass\": ").append(q(l.switchClass())).append(", \"latency\": ");
            dist(sb, l.latency());
            sb.append('}');
        }
        sb.append(']');
        sb.append(",\n \"vms\": [");
        List<RunSummary.VmShare> shares = r.vmShares();
        for (int i = 0; i < shares.size(); i++) {
            RunSummary.VmShare s = shares.get(i);
            sb.append(i == 0 ? "" : ", ").append("{\"vm\": ").append(q(s.vm())).append(", \"vcpus\": ").append(s.vcpus())
                    .append(", \"share\": ").append(num(s.share())).append('}');
        }
        sb.append(']');
        host(sb, r.host());
        hygiene(sb, r.hygiene());
        sb.append(",\n \"vcpus\": [");
        for (int i = 0; i < r.vcpus().size(); i++) {
            sb.append(i == 0 ? "\n  " : ",\n  ");
            vcpu(sb, r.vcpus().get(i));
        }
        sb.append("]}");
    }

    private static void host(StringBuilder sb, RunSummary.Host h) {
        sb.append(",\n \"host\": {\"recorded\": ").append(h.recorded())
                .append(", \"kernelRelease\": ").append(q(h.kernelRelease()))
                .append(", \"kernelCommandLine\": ").append(q(h.kernelCommandLine()))
                .append(", \"cpuVendor\": ").append(q(h.cpuVendor()))
                .append(", \"cpuModel\": ").append(q(h.cpuModel()))
                .append(", \"microcode\": ").append(q(h.microcode()))
                .append(", \"vendorModule\": ").append(q(h.vendorModule()))
                .append(", \"vendorKind\": ").append(q(h.vendorKind()))
                .append(", \"kvmParameters\": ").append(q(h.kvmParameters()))
                .append(", \"smt\": ").append(q(h.smt()))
                .append(", \"cpu\": ").append(h.cpu())
                .append(", \"governor\": ").append(q(h.governor()))
                .append(", \"frequencyRange\": ").append(q(h.frequencyRange()))
                .append(", \"isolatedCpus\": ").append(q(h.isolatedCpus()))
                .append(", \"nohzFull\": ").append(q(h.nohzFull()))
                .append(", \"transparentHugepages\": ").append(q(h.transparentHugepages()))
                .append(", \"jkvmVersion\": ").append(q(h.jkvmVersion()))
                .append(", \"jdkVersion\": ").append(q(h.jdkVersion())).append('}');
    }

    private static void hygiene(StringBuilder sb, RunSummary.Hygiene h) {
        sb.append(",\n \"hygiene\": {\"foreignSource\": ").append(q(h.foreignSource()))
                .append(", \"foreignTimeNanos\": ").append(h.foreignTimeNanos())
                .append(", \"foreignFraction\": ").append(fraction(h.foreignFraction()))
                .append(", \"procStatForeignFraction\": ").append(fraction(h.procStatForeignFraction()))
                .append(", \"siblingCpus\": ").append(q(h.siblingCpus()))
                .append(", \"siblingLoad\": ").append(fraction(h.siblingLoad()))
                .append(", \"frequencyChanges\": ").append(h.frequencyChanges())
                .append(", \"minFrequencyHz\": ").append(h.minFrequencyHz())
                .append(", \"maxFrequencyHz\": ").append(h.maxFrequencyHz())
                .append(", \"stealNanos\": ").append(h.stealNanos())
                .append(", \"warnings\": ").append(strings(h.warnings())).append('}');
    }

    /** A fraction of 1, or -1 when not measured (NaN). */
    private static String fraction(double d) {
        return Double.isNaN(d) ? "-1" : num(d);
    }

    private static void vcpu(StringBuilder sb, RunSummary.VcpuSummary v) {
        sb.append("{\"vm\": ").append(q(v.vm())).append(", \"vcpu\": ").append(v.vcpu()).append(", \"tid\": ").append(v.tid())
                .append(", \"cpu\": ").append(v.cpu()).append(", \"nice\": ").append(v.nice())
                .append(", \"share\": ").append(num(v.share())).append(", \"runNanos\": ").append(v.runNanos())
                .append(", \"waitNanos\": ").append(v.waitNanos()).append(", \"sleepNanos\": ").append(v.sleepNanos())
                .append(", \"slices\": ");
        dist(sb, v.slices());
        sb.append(", \"waits\": ");
        dist(sb, v.waits());
        sb.append(", \"schedIns\": ").append(v.schedIns()).append(", \"preemptedOuts\": ").append(v.preemptedOuts())
                .append(", \"voluntaryOuts\": ").append(v.voluntaryOuts())
                .append(", \"switchClasses\": {\"firstRun\": ").append(v.firstRuns()).append(", \"sameVcpuResumed\": ")
                .append(v.sameVcpuResumed()).append(", \"fromOtherVcpu\": ").append(v.fromOtherVcpu())
                .append(", \"unclassified\": ").append(v.unclassified()).append('}')
                .append(", \"foreignWhileRunnableNanos\": ").append(v.foreignWhileRunnableNanos())
                .append(", \"exits\": [");
        for (int i = 0; i < v.exits().size(); i++) {
            RunSummary.ExitSummary e = v.exits().get(i);
            sb.append(i == 0 ? "" : ", ").append("{\"reason\": ").append(q(e.reason())).append(", \"count\": ").append(e.count())
                    .append(", \"perSecond\": ").append(num(e.perSecond())).append(", \"p50Nanos\": ").append(e.p50Nanos())
                    .append(", \"p99Nanos\": ").append(e.p99Nanos()).append(", \"maxNanos\": ").append(e.maxNanos())
                    .append(", \"source\": ").append(q(e.source())).append('}');
        }
        RunSummary.GuestView g = v.guest();
        sb.append("], \"guest\": {\"gaps\": ").append(g.gaps()).append(", \"gapTotalNanos\": ").append(g.gapTotalNanos())
                .append(", \"gapMaxNanos\": ").append(g.gapMaxNanos()).append(", \"stealNanos\": ").append(g.stealNanos())
                .append(", \"linuxGuestStealNanos\": ").append(g.linuxGuestStealNanos())
                .append(", \"linuxHostWaitNanos\": ").append(g.linuxHostWaitNanos()).append('}')
                .append(", \"result\": ").append(q(v.result())).append(", \"progress\": ").append(v.progress())
                .append(", \"name\": ").append(q(v.name())).append(", \"vmVcpus\": ").append(v.vmVcpus())
                .append(", \"voluntaryShare\": ").append(v.voluntaryShare() < 0 ? "-1" : num(v.voluntaryShare()))
                .append(", \"wakeupLatency\": ");
        dist(sb, v.wakeupLatency());
        sb.append(", \"missedTicks\": ").append(v.missedTicks()).append('}');
    }

    private static void dist(StringBuilder sb, Dist d) {
        sb.append("{\"count\": ").append(d.count()).append(", \"p50\": ").append(d.p50()).append(", \"p90\": ").append(d.p90())
                .append(", \"p99\": ").append(d.p99()).append(", \"max\": ").append(d.max()).append(", \"total\": ").append(d.total()).append('}');
    }

    private static String strings(List<String> list) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < list.size(); i++) sb.append(i == 0 ? "" : ", ").append(q(list.get(i)));
        return sb.append(']').toString();
    }

    private static String num(double d) {
        return Double.isFinite(d) ? String.format(Locale.ROOT, "%.6f", d) : "0";
    }

    static String q(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : (s == null ? "" : s).toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                default -> {
                    if (c < 0x20 || c == '<' || c == '>' || c == '&') out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        return out.append('"').toString();
    }
}
