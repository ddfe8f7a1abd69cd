package dev.jkvm.analysis.expect;

import dev.jkvm.analysis.RunSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Compares a run with a baseline run of the same experiment (`jkvm regress --baseline`), metric by
 * metric, each with a stated rule. Distributions (slice lengths, runnable waits) are compared by their
 * quantiles with a relative tolerance and an absolute floor, not by a significance test: with hundreds
 * of slices a Kolmogorov–Smirnov test calls a shift of a few percent significant, and shifts of that
 * size come and go with the machine's load; what a regression run has to catch is a change of size
 * (a slice twice as long, a wait that doubles), which a ratio of quantiles states directly. The
 * analysis JSON keeps quantiles, not histograms, which is what makes an old run comparable at all.
 */
public final class Baseline {
    /** split(vm) may move this far (fraction of all vCPU time) from the baseline. */
    public static final double SPLIT_POINTS = 0.05;
    /** Jain's index (plain and weighted) may drop this much below the baseline. */
    public static final double FAIRNESS_DROP = 0.05;
    /** Slice quantiles may grow or shrink by this factor … */
    public static final double SLICE_FACTOR = 2;
    /**
     * … unless they differ by less than this (ns). Measured between two runs of the same code while
     * other tasks took up to 2 s of a 3 s window on the CPU: slice p50 moved 3.8 → 1.9 ms and 2.6 → 4.0 ms.
     */
    public static final double SLICE_FLOOR = 2.5e6;
    /** Wait p99 may grow by this factor plus the floor (waits grow with any load, so only large growth counts). */
    public static final double WAIT_FACTOR = 2;
    public static final double WAIT_FLOOR = 5e6;
    /** Exit counts may differ by this fraction (deterministic guests repeat exactly; timed ones vary with their run time). */
    public static final double EXITS_FRACTION = 0.02;

    private Baseline() {}

    /** One comparison: a metric in the baseline and now, the rule, and whether it held. */
    public record Finding(String metric, String rule, String baseline, String current, boolean held) {
        public String line() {
            return (held ? "same " : "REGRESSION ") + metric + ": " + current + " now, " + baseline + " in the baseline (rule: " + rule + ")";
        }
    }

    private interface Rule {
        /** Whether {@code now} is no regression from {@code base}. */
        boolean holds(double base, double now);
    }

    public static List<Finding> compare(RunSummary base, RunSummary now) {
        List<Finding> out = new ArrayList<>();
        List<String> baseVms = base.vcpus().stream().map(RunSummary.VcpuSummary::vm).distinct().toList();
        List<String> nowVms = now.vcpus().stream().map(RunSummary.VcpuSummary::vm).distinct().toList();
        if (!baseVms.equals(nowVms)) {
            out.add(new Finding("VMs", "the same VMs", String.join(", ", baseVms), String.join(", ", nowVms), false));
            return out;
        }
        check(out, base, now, "fairness", List.of(), "no more than " + pts(FAIRNESS_DROP) + " below", (b, n) -> n >= b - FAIRNESS_DROP);
        check(out, base, now, "fairness.weighted", List.of(), "no more than " + pts(FAIRNESS_DROP) + " below", (b, n) -> n >= b - FAIRNESS_DROP);
        check(out, base, now, "lost", List.of(), "no more than the baseline", (b, n) -> n <= b);
        check(out, base, now, "inconsistent", List.of(), "no more than the baseline", (b, n) -> n <= b);
        for (String vm : baseVms) {
            List<String> a = List.of(vm);
            check(out, base, now, "split", a, "within ± " + pts(SPLIT_POINTS), (b, n) -> Math.abs(n - b) <= SPLIT_POINTS + 1e-12);
            for (String q : List.of("slice.p50", "slice.p99")) {
                check(out, base, now, q, a, "within ×/÷ 2 or ± 2.5 ms",
                        (b, n) -> Math.abs(n - b) <= SLICE_FLOOR || n <= b * SLICE_FACTOR && n * SLICE_FACTOR >= b);
            }
            check(out, base, now, "wait.p99", a, "at most " + WAIT_FACTOR + " × + 5 ms", (b, n) -> n <= b * WAIT_FACTOR + WAIT_FLOOR);
            check(out, base, now, "exits", a, "within ± " + (int) (EXITS_FRACTION * 100) + " %",
                    (b, n) -> Math.abs(n - b) <= EXITS_FRACTION * b);
        }
        return out;
    }

    private static void check(List<Finding> out, RunSummary base, RunSummary now, String name, List<String> args, String rule, Rule r) {
        Metric m = Metrics.get(name);
        Measured b = m.resolver().resolve(base, args), n = m.resolver().resolve(now, args);
        String label = args.isEmpty() ? name : name + "(" + String.join(", ", args) + ")";
        if (b instanceof Measured.NotRecorded && n instanceof Measured.NotRecorded) return; // not part of this experiment
        if (b instanceof Measured.Value bv && n instanceof Measured.Value nv) {
            Dimension d = m.dimension();
            out.add(new Finding(label, rule, d.format(bv.value()), d.format(nv.value()), r.holds(bv.value(), nv.value())));
        } else {
            out.add(new Finding(label, "recorded in both", b instanceof Measured.Value ? "recorded" : "not recorded",
                    n instanceof Measured.Value ? "recorded" : "not recorded", false));
        }
    }

    private static String pts(double fraction) {
        return String.format(Locale.ROOT, "%.0f points", fraction * 100);
    }
}
