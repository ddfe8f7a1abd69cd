package dev.jkvm.analysis.jmc;

import dev.jkvm.analysis.RunSummary;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.openjdk.jmc.common.unit.IQuantity;
import org.openjdk.jmc.common.unit.UnitLookup;
import org.openjdk.jmc.common.util.IPreferenceValueProvider;
import org.openjdk.jmc.common.util.TypedPreference;
import org.openjdk.jmc.flightrecorder.rules.util.RulesToolkit.EventAvailability;

/** Foreign tasks: time tasks other than the vCPUs ran on the experiment CPU (from the sched_switch copy), and which vCPUs waited meanwhile. */
public final class ForeignTasksRule extends JkvmRule {
    public static final TypedPreference<IQuantity> SHARE_LIMIT = new TypedPreference<>("jkvm.foreign.limit", "Foreign share limit",
            "Share of the experiment CPU other tasks may take before the run counts as disturbed", UnitLookup.PERCENTAGE,
            UnitLookup.PERCENT.quantity(5));

    @Override
    public String getId() {
        return "jkvm.ForeignTasks";
    }

    @Override
    public String getName() {
        return "Foreign Tasks on the Experiment CPU";
    }

    @Override
    public Map<String, EventAvailability> getRequiredEvents() {
        return Map.of("jkvm.KernelSchedSwitch", EventAvailability.AVAILABLE);
    }

    @Override
    public Collection<TypedPreference<?>> getConfigurationAttributes() {
        return List.of(SHARE_LIMIT);
    }

    @Override
    Verdict judge(RunSummary run, IPreferenceValueProvider preferences) {
        if (!run.health().kernelSwitches()) {
            return Verdict.notApplicable("No jkvm.KernelSchedSwitch events: record as root to capture the experiment CPU's sched_switch.");
        }
        double limit = preferences.getPreferenceValue(SHARE_LIMIT).doubleValueIn(UnitLookup.PERCENT_UNITY);
        long total = run.foreignTasks().stream().mapToLong(RunSummary.ForeignTask::nanos).sum();
        double share = run.windowNanos() == 0 ? 0 : (double) total / run.windowNanos();
        if (total == 0) return new Verdict(0, "Only the vCPUs (and idle) ran on the experiment CPU.", "No foreign task was switched in.", null);
        StringBuilder tasks = new StringBuilder();
        run.foreignTasks().stream().limit(5).forEach(t -> tasks.append(fmt("%s on CPU %d ran %s; ", t.comm(), t.cpu(), ms(t.nanos()))));
        RunSummary.VcpuSummary hit = run.vcpus().stream().max(Comparator.comparingLong(RunSummary.VcpuSummary::foreignWhileRunnableNanos)).orElse(null);
        StringBuilder victims = new StringBuilder();
        for (RunSummary.VcpuSummary v : run.vcpus()) {
            if (v.foreignWhileRunnableNanos() > 0) victims.append(fmt("%s waited %s while they ran; ", v.name(), ms(v.foreignWhileRunnableNanos())));
        }
        RunSummary.ForeignTask top = run.foreignTasks().get(0);
        String summary = fmt("Other tasks took %s of the experiment CPU (%s), most %s%s.", pct(share), ms(total), top.comm(),
                hit != null && hit.foreignWhileRunnableNanos() > 0 ? "; " + hit.name() + " waited longest behind them" : "");
        return new Verdict(75 * share / Math.max(1e-9, limit), summary, tasks + (victims.isEmpty() ? "no vCPU was runnable meanwhile." : victims.toString()),
                share >= limit ? "Keep the experiment CPU free: isolcpus or a cpuset for the experiment, and move kernel threads and IRQs away." : null);
    }
}
