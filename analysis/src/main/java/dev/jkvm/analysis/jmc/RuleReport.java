package dev.jkvm.analysis.jmc;

import dev.jkvm.analysis.BadRecordingException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RunnableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.openjdk.jmc.common.item.IItemCollection;
import org.openjdk.jmc.common.util.IPreferenceValueProvider;
import org.openjdk.jmc.flightrecorder.CouldNotLoadRecordingException;
import org.openjdk.jmc.flightrecorder.JfrLoaderToolkit;
import org.openjdk.jmc.flightrecorder.rules.DependsOn;
import org.openjdk.jmc.flightrecorder.rules.IResult;
import org.openjdk.jmc.flightrecorder.rules.IRule;
import org.openjdk.jmc.flightrecorder.rules.ResultProvider;
import org.openjdk.jmc.flightrecorder.rules.ResultToolkit;
import org.openjdk.jmc.flightrecorder.rules.RuleRegistry;
import org.openjdk.jmc.flightrecorder.rules.Severity;
import org.openjdk.jmc.flightrecorder.rules.util.RulesToolkit;

/**
 * `jkvm analyze --rules`: loads the recording with JMC's parser and evaluates every rule JMC's
 * {@link RuleRegistry} finds — jkvm's (this jar's META-INF/services) and JMC's own JDK rules — as the
 * desktop application's Automated Analysis page would, printed for a terminal.
 */
public final class RuleReport {
    private static final int WIDTH = 100;
    /** Held strongly so the level set on it stays. */
    private static final Logger QUIET_PARSER = Logger.getLogger("org.openjdk.jmc.flightrecorder");

    /** One evaluated rule. */
    public record Outcome(IRule rule, IResult result, String error) {
        public boolean jkvm() {
            return rule.getTopic().equals(JkvmRule.TOPIC);
        }
    }

    private RuleReport() {}

    public static List<Outcome> evaluate(IItemCollection items) {
        List<IRule> rules = new ArrayList<>(RuleRegistry.getRules());
        // Rules another rule depends on first (JMC's own rules use @DependsOn); then by topic and id for a stable order.
        rules.sort(Comparator.comparing((IRule r) -> r.getClass().isAnnotationPresent(DependsOn.class))
                .thenComparing(r -> !r.getTopic().equals(JkvmRule.TOPIC)).thenComparing(IRule::getTopic).thenComparing(IRule::getId));
        ResultProvider results = new ResultProvider();
        List<Outcome> out = new ArrayList<>();
        for (IRule rule : rules) {
            try {
                RunnableFuture<IResult> f = rule.createEvaluation(items, IPreferenceValueProvider.DEFAULT_VALUES, results);
                f.run();
                IResult r = f.get();
                results.addResults(r);
                out.add(new Outcome(rule, r, null));
            } catch (ExecutionException | RuntimeException e) {
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                // Several of JMC's rules fail outright on a recording without the events they need (the
                // desktop application does not run them then): that is "not applicable", not a failure.
                if (!RulesToolkit.matchesEventAvailabilityMap(items, rule.getRequiredEvents())) {
                    IResult na = RulesToolkit.getNotApplicableResult(rule, IPreferenceValueProvider.DEFAULT_VALUES,
                            "The recording lacks events this rule needs: " + String.join(", ", rule.getRequiredEvents().keySet()) + ".");
                    results.addResults(na);
                    out.add(new Outcome(rule, na, null));
                } else {
                    out.add(new Outcome(rule, null, String.valueOf(cause)));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return out;
    }

    public static IItemCollection load(Path file) {
        // JMC's parser logs through java.util.logging about JDK fields it does not know (e.g. a thread's
        // 'virtual'); that is noise on a terminal, so only its severe messages pass.
        QUIET_PARSER.setLevel(Level.SEVERE);
        try {
            return JfrLoaderToolkit.loadEvents(file.toFile());
        } catch (IOException | CouldNotLoadRecordingException e) {
            throw new BadRecordingException("JMC cannot load " + file + ": " + e.getMessage());
        }
    }

    /** The terminal text: jkvm's rules in full, then JMC's JDK rules that found something, then the count by severity. */
    public static String evaluate(Path file) {
        List<Outcome> outcomes = evaluate(load(file));
        StringBuilder sb = new StringBuilder("\nJDK Mission Control automated analysis of ").append(file).append('\n');
        sb.append("jkvm rules:\n");
        for (Outcome o : outcomes) if (o.jkvm()) line(sb, o, true);
        sb.append("JMC's JDK rules (INFO and WARNING shown):\n");
        int[] bySeverity = new int[Severity.values().length];
        int failed = 0;
        for (Outcome o : outcomes) {
            if (o.jkvm()) continue;
            if (o.result() == null) {
                failed++;
                continue;
            }
            bySeverity[o.result().getSeverity().ordinal()]++;
            if (o.result().getSeverity().compareTo(Severity.INFO) >= 0 && o.result().getSeverity() != Severity.IGNORE) line(sb, o, false);
        }
        sb.append(String.format(Locale.ROOT, "  %d JMC rules: %d warning, %d info, %d ok, %d not applicable, %d ignored, %d failed%n",
                outcomes.stream().filter(o -> !o.jkvm()).count(), bySeverity[Severity.WARNING.ordinal()], bySeverity[Severity.INFO.ordinal()],
                bySeverity[Severity.OK.ordinal()], bySeverity[Severity.NA.ordinal()], bySeverity[Severity.IGNORE.ordinal()], failed));
        return sb.toString();
    }

    private static void line(StringBuilder sb, Outcome o, boolean explain) {
        if (o.result() == null) {
            sb.append("  [FAILED ] ").append(o.rule().getName()).append(": ").append(o.error()).append('\n');
            return;
        }
        IResult r = o.result();
        Severity s = r.getSeverity();
        Object score = r.getResult(org.openjdk.jmc.flightrecorder.rules.TypedResult.SCORE);
        String head = String.format(Locale.ROOT, "  [%-7s %5s] %s: ", s.name(), score == null ? "" : String.format(Locale.ROOT, "%.0f",
                ((org.openjdk.jmc.common.unit.IQuantity) score).doubleValue()), o.rule().getName());
        wrap(sb, head + text(r, r.getSummary()), "    ");
        if (explain && r.getExplanation() != null && s != Severity.NA) wrap(sb, "    " + text(r, r.getExplanation()), "    ");
        if (explain && r.getSolution() != null && !r.getSolution().isEmpty()) wrap(sb, "    What to do: " + text(r, r.getSolution()), "    ");
    }

    /** A message with JMC's {placeholders} filled and HTML tags removed. */
    private static String text(IResult r, String message) {
        String filled = message == null ? "" : ResultToolkit.populateMessage(r, message, false);
        return filled.replaceAll("<[^>]+>", " ").replace("&nbsp;", " ").replaceAll("\\s+", " ").strip();
    }

    private static void wrap(StringBuilder sb, String text, String indent) {
        String rest = text;
        boolean first = true;
        while (!rest.isEmpty()) {
            String prefix = first ? "" : indent;
            int room = WIDTH - prefix.length();
            if (rest.length() <= room) {
                sb.append(prefix).append(rest).append('\n');
                break;
            }
            int cut = rest.lastIndexOf(' ', room);
            if (cut <= indent.length()) cut = room;
            sb.append(prefix).append(rest, 0, cut).append('\n');
            rest = rest.substring(cut).stripLeading();
            first = false;
        }
    }
}
