package dev.jkvm.analysis.jmc;

import dev.jkvm.analysis.RunSummary;
import dev.jkvm.analysis.ScheduleAnalyzer;
import java.util.ArrayList;
import java.util.List;
import org.openjdk.jmc.common.util.IPreferenceValueProvider;

/** Recording health: records the kernel dropped, records committed late, switches that contradict each other, sources missing. */
public final class RecordingHealthRule extends JkvmRule {
    @Override
    public String getId() {
        return "jkvm.RecordingHealth";
    }

    @Override
    public String getName() {
        return "jkvm Recording Health";
    }

    @Override
    Verdict judge(RunSummary run, IPreferenceValueProvider preferences) {
        RunSummary.Health h = run.health();
        List<String> problems = new ArrayList<>();
        double score = 0;
        if (h.lostRecords() > 0) {
            score = Math.max(score, 90);
            problems.add(fmt("the kernel dropped %d records (%s)", h.lostRecords(),
                    h.lostSources().isEmpty() ? "source not recorded" : String.join(", ", h.lostSources())));
        }
        if (!h.missingSources().isEmpty()) {
            score = Math.max(score, 80);
            problems.add("missing: " + String.join(", ", h.missingSources()));
        }
        if (h.inconsistentSwitches() > 0) {
            score = Math.max(score, 75);
            problems.add(h.inconsistentSwitches() + " switches contradict the one before (a sched-in of a vCPU already on CPU or the reverse)");
        }
        if (h.lateRecords() > 0) {
            score = Math.max(score, 40);
            problems.add(fmt("%d switch events came late: committed more than %s after they happened or marked late by the recorder"
                    + " (longest lag %s)", h.lateRecords(), ms(ScheduleAnalyzer.LATE_NANOS), ms(h.maxLagNanos())));
        }
        String counts = fmt("%d switch records from %d vCPUs over %s; %s.", h.switchRecords(), running(run).size(), ms(run.windowNanos()),
                h.kernelSwitches() ? "the sched_switch copy is present" : "no sched_switch copy (needs root)");
        if (problems.isEmpty()) {
            return new Verdict(0, "The recording is complete: nothing lost, late or missing.", counts, null);
        }
        String summary = "The recording is " + (score >= 75 ? "incomplete" : "late") + ": " + problems.get(0) + ".";
        return new Verdict(score, summary, String.join("; ", problems) + ". " + counts,
                "Give the recorder more room: larger perf rings, fewer VMs per run, or a recorder CPU that is not busy.");
    }
}
