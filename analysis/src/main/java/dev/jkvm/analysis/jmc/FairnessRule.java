package dev.jkvm.analysis.jmc;

import dev.jkvm.analysis.NiceWeights;
import dev.jkvm.analysis.RunSummary;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import org.openjdk.jmc.common.unit.IQuantity;
import org.openjdk.jmc.common.unit.UnitLookup;
import org.openjdk.jmc.common.util.IPreferenceValueProvider;
import org.openjdk.jmc.common.util.TypedPreference;

/**
 * Fairness: Jain's index over the vCPUs' CPU shares. A split that follows the vCPUs' nice weights
 * (CFS: share ∝ weight) is unfair by design and scores INFO; a split that departs from the weights
 * scores WARNING, the more the further it departs (Jain's index over share / weight).
 */
public final class FairnessRule extends JkvmRule {
    public static final TypedPreference<IQuantity> FAIR_LIMIT = new TypedPreference<>("jkvm.fairness.limit", "Fair Jain index",
            "Jain's fairness index at or above which the vCPUs count as sharing fairly", UnitLookup.NUMBER, UnitLookup.NUMBER_UNITY.quantity(0.95));

    @Override
    public String getId() {
        return "jkvm.Fairness";
    }

    @Override
    public String getName() {
        return "vCPU Fairness";
    }

    @Override
    public Collection<TypedPreference<?>> getConfigurationAttributes() {
        return List.of(FAIR_LIMIT);
    }

    @Override
    Verdict judge(RunSummary run, IPreferenceValueProvider preferences) {
        List<RunSummary.VcpuSummary> vcpus = running(run);
        if (vcpus.size() < 2) return Verdict.notApplicable("Fairness needs two or more vCPUs that ran; this recording has " + vcpus.size() + ".");
        double limit = preferences.getPreferenceValue(FAIR_LIMIT).doubleValue();
        double total = vcpus.stream().mapToDouble(RunSummary.VcpuSummary::share).sum();
        double weights = vcpus.stream().mapToDouble(v -> NiceWeights.weight(v.nice())).sum();
        StringBuilder each = new StringBuilder();
        for (RunSummary.VcpuSummary v : vcpus) {
            double expected = NiceWeights.weight(v.nice()) / weights;
            each.append(fmt("%s (nice %d, weight %d) ran %s of the CPU, %s of the vCPUs' time where its weight gives %s. ", v.name(),
                    v.nice(), NiceWeights.weight(v.nice()), pct(v.share()), pct(v.share() / total), pct(expected)));
        }
        // The vCPU furthest below what its weight gives it.
        RunSummary.VcpuSummary behind = vcpus.stream()
                .min(Comparator.comparingDouble(v -> (v.share() / total) / (NiceWeights.weight(v.nice()) / weights))).orElseThrow();
        RunSummary.VcpuSummary least = vcpus.stream().min(Comparator.comparingDouble(RunSummary.VcpuSummary::share)).orElseThrow();
        double j = run.jainIndex(), jw = run.weightedJainIndex();
        String index = fmt("Jain's fairness index over %d vCPUs is %.3f (1 is equal shares, %.3f is one vCPU taking all)", vcpus.size(), j,
                1.0 / vcpus.size());
        String explanation = index + ". " + each + fmt("Against the nice weights the index is %.3f.", jw);
        if (jw < limit) {
            double score = 75 + 25 * Math.min(1, (limit - jw) / Math.max(1e-9, limit - 1.0 / vcpus.size()));
            return new Verdict(score, fmt("Unfair: %s got %s of the vCPUs' CPU time where its nice weight gives %s (Jain %.3f).",
                    behind.name(), pct(behind.share() / total), pct(NiceWeights.weight(behind.nice()) / weights), j), explanation,
                    "Look for what else ran on the experiment CPU (foreign tasks rule), for vCPUs that blocked (voluntary switch-outs), "
                            + "and at the starvation rule.");
        }
        if (j < limit) {
            return new Verdict(50, fmt("Unfair by the nice values: %s (nice %d) got %s, as its weight predicts (Jain %.3f, %.3f against weights).",
                    least.name(), least.nice(), pct(least.share() / total), j, jw), explanation, null);
        }
        return new Verdict(24 * (1 - j) / Math.max(1e-9, 1 - limit),
                fmt("Fair: Jain's fairness index %.3f over %d vCPUs; the smallest share is %s's %s.", j, vcpus.size(), least.name(),
                        pct(least.share())), explanation, null);
    }
}
