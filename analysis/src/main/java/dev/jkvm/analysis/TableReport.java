package dev.jkvm.analysis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The terminal table of `jkvm analyze`: one row per quantity, one column per recording, so runs from
 * different hosts or kernels compare side by side. At most 100 characters wide: recordings that do
 * not fit beside each other continue in a further block below. Vocabulary of perf sched: slice (run
 * time between sched-in and sched-out), wait (runnable but not running), sleep (blocked).
 */
public final class TableReport {
    public static final int WIDTH = 100;
    private static final String MISSING = "-";
    /** Host facts are clipped to this width so several recordings still fit side by side; the JSON has them whole. */
    private static final int HOST_CELL = 30;

    private TableReport() {}

    public static String render(List<RunSummary> runs) {
        Map<String, String[]> rows = new LinkedHashMap<>();
        List<String> names = columnNames(runs.stream().map(RunSummary::source).toList());
        for (int i = 0; i < runs.size(); i++) {
            RunSummary r = runs.get(i);
            put(rows, runs.size(), i, "recording", names.get(i));
            put(rows, runs.size(), i, "window", fmt("%.3f s", r.windowNanos() / 1e9));
            // No vCPU switch at all (a recording without jkvm's timeline chunks): the schedule's numbers are
            // not measured, not a perfectly fair run without loss.
            boolean switched = r.hasSwitches();
            put(rows, runs.size(), i, "Jain's fairness index", switched ? fmt("%.4f", r.jainIndex()) : "- (no switches)");
            put(rows, runs.size(), i, "  against nice weights", switched ? fmt("%.4f", r.weightedJainIndex()) : MISSING);
            put(rows, runs.size(), i, "switches/s", switched ? fmt("%.1f", r.switchesPerSecond()) : MISSING);
            Dist g = r.vcpuToVcpuGap();
            put(rows, runs.size(), i, "vCPU→vCPU gap p50/p99", g.count() == 0 ? MISSING : micros(g.p50()) + "/" + micros(g.p99()) + " µs");
            RunSummary.Health h = r.health();
            put(rows, runs.size(), i, "lost records", switched ? Long.toString(h.lostRecords()) : MISSING);
            put(rows, runs.size(), i, "late records", switched ? Long.toString(h.lateRecords()) : MISSING);
            put(rows, runs.size(), i, "inconsistent switches", switched ? Long.toString(h.inconsistentSwitches()) : MISSING);
            put(rows, runs.size(), i, "missing sources", h.missingSources().isEmpty() ? "none" : Integer.toString(h.missingSources().size()));
            long foreign = r.foreignTasks().stream().mapToLong(RunSummary.ForeignTask::nanos).sum();
            put(rows, runs.size(), i, "foreign tasks on CPU", h.kernelSwitches() ? millis(foreign) + " ms" : MISSING);
            put(rows, runs.size(), i, "CPU idle", r.idleNanos() >= 0 ? millis(r.idleNanos()) + " ms" : MISSING);
            hygiene(rows, runs.size(), i, r.hygiene());
            for (RunSummary.ReloadLatency l : r.reloadLatency()) {
                Dist d = l.latency();
                put(rows, runs.size(), i, "reload, " + l.switchClass(), d.count() + ", p50/p99 " + micros(d.p50()) + "/" + micros(d.p99()) + " µs");
            }
            for (RunSummary.VmShare s : r.vmShares()) {
                if (s.vcpus() > 1) put(rows, runs.size(), i, s.vm() + " share (" + s.vcpus() + " vCPUs)", fmt("%.2f %%", 100 * s.share()));
            }
            for (RunSummary.VcpuSummary v : r.vcpus()) {
                String p = v.name() + " ";
                put(rows, runs.size(), i, p + "share", fmt("%.2f %%", 100 * v.share()) + (v.nice() != 0 ? " nice " + v.nice() : ""));
                put(rows, runs.size(), i, p + "run/wait/sleep ms", millis(v.runNanos()) + "/" + millis(v.waitNanos()) + "/" + millis(v.sleepNanos()));
                Dist s = v.slices();
                put(rows, runs.size(), i, p + "slices", Long.toString(s.count()));
                put(rows, runs.size(), i, p + "slice p50/p90/p99/max", s.count() == 0 ? MISSING
                        : millis(s.p50()) + "/" + millis(s.p90()) + "/" + millis(s.p99()) + "/" + millis(s.max()) + " ms");
                Dist w = v.waits();
                put(rows, runs.size(), i, p + "wait p50/p99/max", w.count() == 0 ? MISSING
                        : millis(w.p50()) + "/" + millis(w.p99()) + "/" + millis(w.max()) + " ms");
                put(rows, runs.size(), i, p + "out preempted/voluntary", v.preemptedOuts() + "/" + v.voluntaryOuts()
                        + (v.voluntaryShare() < 0 ? "" : fmt(" (%.1f %% vol.)", 100 * v.voluntaryShare())));
                put(rows, runs.size(), i, p + "in 1st/same/other/unclass", v.firstRuns() + "/" + v.sameVcpuResumed() + "/" + v.fromOtherVcpu()
                        + "/" + v.unclassified());
                if (h.kernelSwitches()) {
                    put(rows, runs.size(), i, p + "foreign while runnable", millis(v.foreignWhileRunnableNanos()) + " ms");
                }
                for (RunSummary.ExitSummary e : v.exits()) {
                    // Labelled in the cell: the exit statistics give a bucket bound for p99 and no p50.
                    String lat = e.p50Nanos() < 0 ? "p99≤/max " + micros(e.p99Nanos()) : "p50/p99/max " + micros(e.p50Nanos()) + "/" + micros(e.p99Nanos());
                    put(rows, runs.size(), i, p + "exits " + e.reason(), e.count() + " " + fmt("(%.0f/s)", e.perSecond()) + " " + lat
                            + "/" + micros(e.maxNanos()) + " µs");
                }
                Dist wk = v.wakeupLatency();
                if (wk.count() > 0) {
                    put(rows, runs.size(), i, p + "wake-up p50/p99/max", micros(wk.p50()) + "/" + micros(wk.p99()) + "/" + micros(wk.max()) + " µs");
                    put(rows, runs.size(), i, p + "ticks seen/missed", wk.count() + "/" + v.missedTicks());
                }
                RunSummary.GuestView gv = v.guest();
                if (gv.gaps() >= 0) put(rows, runs.size(), i, p + "guest gaps n/total", gv.gaps() + "/" + millis(gv.gapTotalNanos()) + " ms");
                if (gv.stealNanos() >= 0) put(rows, runs.size(), i, p + "steal", millis(gv.stealNanos()) + " ms");
                if (gv.linuxGuestStealNanos() >= 0) {
                    put(rows, runs.size(), i, p + "Linux steal guest/host", millis(gv.linuxGuestStealNanos()) + "/" + millis(gv.linuxHostWaitNanos()) + " ms");
                }
                if (!v.result().isEmpty()) put(rows, runs.size(), i, p + "result", v.result());
            }
        }
        // The machine last: long values, the same for every run of one host.
        for (int i = 0; i < runs.size(); i++) host(rows, runs.size(), i, runs.get(i).host());
        return layout(rows, runs.size());
    }

    private static void hygiene(Map<String, String[]> rows, int columns, int i, RunSummary.Hygiene h) {
        put(rows, columns, i, "foreign time on experiment CPU", !h.measured() ? "not measured"
                : fmt("%.2f %%", 100 * h.foreignFraction()) + " (" + h.foreignSource() + ")");
        put(rows, columns, i, "SMT sibling load", Double.isNaN(h.siblingLoad()) ? (h.siblingCpus().equals("none") ? "no sibling" : "not measured")
                : fmt("%.1f %%", 100 * h.siblingLoad()) + " (CPU " + h.siblingCpus() + ")");
        put(rows, columns, i, "frequency changes", h.frequencyChanges() < 0 ? "not exposed"
                : h.frequencyChanges() + fmt(" (%d–%d MHz)", h.minFrequencyHz() / 1_000_000, h.maxFrequencyHz() / 1_000_000));
        put(rows, columns, i, "hygiene", !h.measured() ? "-" : h.warnings().isEmpty() ? "ok" : "WARN " + String.join("; ", h.warnings()));
    }

    private static void host(Map<String, String[]> rows, int columns, int i, RunSummary.Host h) {
        put(rows, columns, i, "Host", h.recorded() ? "" : "not recorded");
        if (!h.recorded()) return;
        put(rows, columns, i, "  kernel", clip(h.kernelRelease(), HOST_CELL));
        put(rows, columns, i, "  CPU", clip(h.cpuVendor() + " " + h.cpuModel(), HOST_CELL));
        put(rows, columns, i, "  microcode", clip(h.microcode(), HOST_CELL));
        put(rows, columns, i, "  KVM module", clip(h.vendorModule() + " (" + h.vendorKind() + ")", HOST_CELL));
        put(rows, columns, i, "  KVM parameters", clip(h.kvmParameters(), HOST_CELL));
        put(rows, columns, i, "  SMT", clip(h.smt(), HOST_CELL));
        put(rows, columns, i, "  experiment CPU", clip(h.cpu() < 0 ? "not pinned" : Integer.toString(h.cpu()), HOST_CELL));
        put(rows, columns, i, "  governor", clip(h.governor(), HOST_CELL));
        put(rows, columns, i, "  frequency range", clip(h.frequencyRange(), HOST_CELL));
        put(rows, columns, i, "  isolated CPUs", clip(h.isolatedCpus(), HOST_CELL));
        put(rows, columns, i, "  nohz_full CPUs", clip(h.nohzFull(), HOST_CELL));
        put(rows, columns, i, "  transparent huge pages", clip(h.transparentHugepages(), HOST_CELL));
        put(rows, columns, i, "  jkvm", clip(h.jkvmVersion(), HOST_CELL));
        put(rows, columns, i, "  JDK", clip(h.jdkVersion(), HOST_CELL));
        put(rows, columns, i, "  kernel command line", clip(h.kernelCommandLine(), HOST_CELL));
    }

    private static void put(Map<String, String[]> rows, int columns, int column, String label, String value) {
        String[] cells = rows.computeIfAbsent(label, k -> {
            String[] c = new String[columns];
            java.util.Arrays.fill(c, MISSING);
            return c;
        });
        cells[column] = value;
    }

    private static String layout(Map<String, String[]> rows, int columns) {
        // 34 leaves two recordings' columns room side by side; an SMP vCPU's labels fit in it ("vm0/cpu0 in 1st/same/other/unclass").
        int labelWidth = Math.min(34, rows.keySet().stream().mapToInt(String::length).max().orElse(0));
        int[] widths = new int[columns];
        for (String[] cells : rows.values()) {
            for (int c = 0; c < columns; c++) widths[c] = Math.max(widths[c], cells[c].length());
        }
        int room = WIDTH - labelWidth - 2;
        StringBuilder sb = new StringBuilder();
        int first = 0;
        while (first < columns) {
            List<Integer> block = new ArrayList<>();
            int used = 0;
            for (int c = first; c < columns; c++) {
                int w = Math.min(widths[c], room) + 2;
                if (!block.isEmpty() && used + w > room + 2) break;
                block.add(c);
                used += w;
            }
            if (first > 0) sb.append('\n');
            for (var row : rows.entrySet()) {
                StringBuilder line = new StringBuilder(pad(clip(row.getKey(), labelWidth), labelWidth));
                for (int c : block) {
                    int w = Math.min(widths[c], room);
                    line.append("  ").append(padLeft(clip(row.getValue()[c], w), w));
                }
                sb.append(line.toString().stripTrailing()).append('\n');
            }
            first += block.size();
        }
        return sb.toString();
    }

    private static String clip(String s, int width) {
        return s.length() <= width ? s : s.substring(0, Math.max(0, width - 1)) + "…";
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }

    private static String padLeft(String s, int width) {
        return " ".repeat(Math.max(0, width - s.length())) + s;
    }

    /**
     * The columns' titles: each recording's file name, or, where several share one (regress writes
     * every experiment's as NAME/recording.jfr, and runners' results are RUNNER/regress/NAME/
     * recording.jfr), what sets their paths apart: the parts between the paths' common beginning and
     * common end (the experiment, the runner). The whole path where that leaves nothing.
     */
    static List<String> columnNames(List<String> sources) {
        List<String> names = sources.stream().map(TableReport::shortName).toList();
        if (new java.util.HashSet<>(names).size() == names.size()) return names;
        List<String[]> parts = sources.stream().map(s -> s.split("/+")).toList();
        int shortest = parts.stream().mapToInt(p -> p.length).min().orElse(0);
        int prefix = 0, suffix = 0;
        while (prefix < shortest - 1 && same(parts, prefix, true)) prefix++;
        while (suffix < shortest - 1 - prefix && same(parts, suffix, false)) suffix++;
        List<String> out = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            String[] p = parts.get(i);
            String middle = String.join("/", java.util.Arrays.asList(p).subList(prefix, p.length - suffix));
            out.add(middle.isEmpty() ? sources.get(i) : middle);
        }
        return new java.util.HashSet<>(out).size() == out.size() ? out : sources;
    }

    /** Whether every path has the same part at {@code k} from its beginning (or from its end). */
    private static boolean same(List<String[]> parts, int k, boolean fromStart) {
        String first = null;
        for (String[] p : parts) {
            String part = fromStart ? p[k] : p[p.length - 1 - k];
            if (first == null) first = part;
            else if (!first.equals(part)) return false;
        }
        return true;
    }

    static String shortName(String source) {
        int slash = source.lastIndexOf('/');
        return slash < 0 ? source : source.substring(slash + 1);
    }

    static String millis(long nanos) {
        return fmt("%.3f", nanos / 1e6);
    }

    static String micros(long nanos) {
        return fmt("%.1f", nanos / 1e3);
    }

    private static String fmt(String f, Object... args) {
        return String.format(Locale.ROOT, f, args);
    }
}
