package dev.jkvm.analysis.jmc;

import dev.jkvm.analysis.RunSummary;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import org.openjdk.jmc.common.unit.IQuantity;
import org.openjdk.jmc.common.unit.UnitLookup;
import org.openjdk.jmc.common.util.IPreferenceValueProvider;
import org.openjdk.jmc.common.util.TypedPreference;

/** Starvation: the longest time a vCPU waited runnable (preempted) before it ran again; WARNING at the limit, INFO from a third of it. */
public final class StarvationRule extends JkvmRule {
    public static final TypedPreference<IQuantity> WAIT_LIMIT = new TypedPreference<>("jkvm.starvation.limit", "Starvation limit",
            "A runnable wait this long counts as starvation", UnitLookup.TIMESPAN, UnitLookup.MILLISECOND.quantity(100));

    @Override
    public String getId() {
        return "jkvm.Starvation";
    }

    @Override
    public String getName() {
        return "vCPU Starvation";
    }

    @Override
    public Collection<TypedPreference<?>> getConfigurationAttributes() {
        return List.of(WAIT_LIMIT);
    }

    @Override
    Verdict judge(RunSummary run, IPreferenceValueProvider preferences) {
        List<RunSummary.VcpuSummary> vcpus = running(run);
        if (vcpus.isEmpty()) return Verdict.notApplicable("No vCPU ran in this recording.");
        long limit = preferences.getPreferenceValue(WAIT_LIMIT).clampedLongValueIn(UnitLookup.NANOSECOND);
        RunSummary.VcpuSummary worst = vcpus.stream().max(Comparator.comparingLong(RunSummary.VcpuSummary::maxDelayNanos)).orElseThrow();
        StringBuilder each = new StringBuilder();
        for (RunSummary.VcpuSummary v : vcpus) {
            each.append(fmt("%s waited runnable %d times, longest %s, p99 %s, median %s. ", v.name(), v.waits().count(), ms(v.waits().max()),
                    ms(v.waits().p99()), ms(v.waits().p50())));
        }
        String explanation = each + "A runnable wait runs from a preempted sched-out to the next sched-in of the same vCPU; the limit is "
                + ms(limit) + ".";
        double score = 75.0 * worst.maxDelayNanos() / Math.max(1, limit);
        String summary = worst.maxDelayNanos() == 0
                ? "No vCPU had to wait runnable."
                : fmt("%s waited up to %s runnable before it ran again (p99 %s)%s.", worst.name(), ms(worst.maxDelayNanos()),
                        ms(worst.waits().p99()), worst.maxDelayNanos() >= limit ? ": starved" : "");
        return new Verdict(score, summary, explanation,
                score >= 75 ? "Check the fairness and foreign tasks rules; a long wait with few switches points at a task hogging the CPU." : null);
    }
}
