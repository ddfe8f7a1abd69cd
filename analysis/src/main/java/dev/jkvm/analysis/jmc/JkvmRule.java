package dev.jkvm.analysis.jmc;

import dev.jkvm.analysis.RunSummary;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RunnableFuture;
import org.openjdk.jmc.common.item.IItemCollection;
import org.openjdk.jmc.common.unit.UnitLookup;
import org.openjdk.jmc.common.util.IPreferenceValueProvider;
import org.openjdk.jmc.common.util.TypedPreference;
import org.openjdk.jmc.flightrecorder.rules.IResult;
import org.openjdk.jmc.flightrecorder.rules.IResultValueProvider;
import org.openjdk.jmc.flightrecorder.rules.IRule;
import org.openjdk.jmc.flightrecorder.rules.ResultBuilder;
import org.openjdk.jmc.flightrecorder.rules.Severity;
import org.openjdk.jmc.flightrecorder.rules.TypedResult;
import org.openjdk.jmc.flightrecorder.rules.util.RulesToolkit.EventAvailability;

/**
 * The shape every jkvm rule shares, after JMC's own rules: the event types it needs, a score from
 * 0 to 100 whose JMC severity follows (OK below 25, INFO below 75, WARNING above), and a summary
 * plus an explanation in words that name the vCPUs and give the numbers. The analysis behind the
 * score is {@link JmcRecording}, the same code as `jkvm analyze`.
 */
abstract class JkvmRule implements IRule {
    static final String TOPIC = "jkvm";

    /** A verdict: score (negative: not applicable), summary, explanation, solution (may be null). */
    record Verdict(double score, String summary, String explanation, String solution) {
        static Verdict notApplicable(String why) {
            return new Verdict(-1, why, why, null);
        }
    }

    @Override
    public String getTopic() {
        return TOPIC;
    }

    @Override
    public Map<String, EventAvailability> getRequiredEvents() {
        return Map.of("jkvm.VcpuSchedIn", EventAvailability.AVAILABLE, "jkvm.VcpuSchedOut", EventAvailability.AVAILABLE);
    }

    @Override
    public Collection<TypedPreference<?>> getConfigurationAttributes() {
        return List.of();
    }

    @Override
    public Collection<TypedResult<?>> getResults() {
        return List.of(TypedResult.SCORE);
    }

    @Override
    public RunnableFuture<IResult> createEvaluation(IItemCollection items, IPreferenceValueProvider preferences, IResultValueProvider results) {
        return new FutureTask<>(() -> {
            Verdict v = judge(JmcRecording.summary(items), preferences);
            ResultBuilder b = ResultBuilder.createFor(this, preferences).setSummary(v.summary()).setExplanation(v.explanation());
            if (v.solution() != null) b.setSolution(v.solution());
            if (v.score() < 0) return b.setSeverity(Severity.NA).build();
            double score = Math.max(0, Math.min(100, v.score()));
            return b.setSeverity(Severity.get(score)).addResult(TypedResult.SCORE, UnitLookup.NUMBER_UNITY.quantity(score)).build();
        });
    }

    abstract Verdict judge(RunSummary run, IPreferenceValueProvider preferences);

    /** vCPUs that ran at all. */
    static List<RunSummary.VcpuSummary> running(RunSummary run) {
        return run.vcpus().stream().filter(v -> v.schedIns() > 0).toList();
    }

    static String pct(double fraction) {
        return String.format(Locale.ROOT, "%.1f %%", 100 * fraction);
    }

    static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
    }

    static String fmt(String f, Object... args) {
        return String.format(Locale.ROOT, f, args);
    }
}
