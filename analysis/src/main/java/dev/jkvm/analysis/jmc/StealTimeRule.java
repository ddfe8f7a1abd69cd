package dev.jkvm.analysis.jmc;

import dev.jkvm.analysis.RunSummary;
import java.util.List;
import java.util.Map;
import org.openjdk.jmc.common.util.IPreferenceValueProvider;
import org.openjdk.jmc.flightrecorder.rules.util.RulesToolkit.EventAvailability;

/**
 * Steal time against the host's view: the steal KVM reported to each guest (MSR_KVM_STEAL_TIME)
 * against the time the host saw that vCPU runnable but not running. They should agree; a guest that
 * sees much less (or more) steal than the host's schedule shows gets a wrong picture of its CPU.
 */
public final class StealTimeRule extends JkvmRule {
    @Override
    public String getId() {
        return "jkvm.StealTime";
    }

    @Override
    public String getName() {
        return "Steal Time versus the Host's View";
    }

    @Override
    public Map<String, EventAvailability> getRequiredEvents() {
        return Map.of("jkvm.StealTime", EventAvailability.AVAILABLE);
    }

    @Override
    Verdict judge(RunSummary run, IPreferenceValueProvider preferences) {
        List<RunSummary.VcpuSummary> withSteal = run.vcpus().stream().filter(v -> v.guest().stealNanos() >= 0).toList();
        if (withSteal.isEmpty()) return Verdict.notApplicable("No guest reported steal time (jkvm.StealTime): run a guest that enables it.");
        double worst = 0;
        RunSummary.VcpuSummary worstVcpu = withSteal.get(0);
        StringBuilder each = new StringBuilder();
        for (RunSummary.VcpuSummary v : withSteal) {
            long steal = v.guest().stealNanos(), host = v.waitNanos();
            double off = Math.abs(steal - host) / (double) Math.max(host, 1_000_000);
            if (off >= worst) {
                worst = off;
                worstVcpu = v;
            }
            each.append(fmt("%s: the guest was told %s of steal, the host saw it runnable but waiting %s (%s apart). ", v.name(), ms(steal),
                    ms(host), pct(off)));
        }
        String summary = worst < 0.1
                ? fmt("Steal time agrees with the host's schedule within %s on every vCPU.", pct(worst))
                : fmt("%s's steal time is %s off the host's runnable wait.", worstVcpu.name(), pct(worst));
        return new Verdict(Math.min(100, 75 * worst / 0.5), summary,
                each + "Steal counts from when the guest enabled it, the host's wait over the whole recording.", null);
    }
}
