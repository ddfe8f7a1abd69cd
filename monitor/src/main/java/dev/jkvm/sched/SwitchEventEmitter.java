package dev.jkvm.sched;

import dev.jkvm.jfr.JkvmTimeline;
import dev.jkvm.jfr.PerfRecordsLost;
import dev.jkvm.jfr.RecorderSummary;
import dev.jkvm.jfr.VcpuSwitchSummary;
import jdk.jfr.FlightRecorder;

/**
 * Writes what the recorder concluded about the vCPU threads' switches as events: one per sched-in
 * (with its class) and sched-out, one per slice on CPU and per runnable wait (these on
 * the timeline, at their kernel time and on the vCPU's thread), the per-vCPU summaries and the
 * recorder's own health. Policy-free: every value arrives computed; this class only fills events.
 */
final class SwitchEventEmitter {
    static final String PERF = "perf switch record";
    static final String TRACEPOINT = "sched:sched_switch";

    /** Where kernel-moment events go; null when the run is not recorded. */
    private final JkvmTimeline timeline;

    SwitchEventEmitter(JkvmTimeline timeline) {
        this.timeline = timeline;
    }

    /**
     * Loads and registers the event classes: the first use of one costs JFR tens of milliseconds.
     * Without JFR in the process (no --jfr) it does nothing, and neither do the summaries below:
     * the first event would initialize JFR, 0.1–0.3 s before the first guest instruction, for a
     * recording that does not exist.
     */
    static void warmUp() {
        if (!FlightRecorder.isInitialized()) return;
        JkvmTimeline.declare();
        new VcpuSwitchSummary().shouldCommit();
        new PerfRecordsLost().shouldCommit();
        new RecorderSummary().shouldCommit();
    }

    /**
     * A sched-out; with the slice it closed ({@code slice.start()} -1 when its sched-in was not
     * seen, null for a late record) and the exits jkvm handled during it.
     */
    void schedOut(JkvmTimeline.VcpuRef v, int cpu, long time, String stampedBy, boolean preempted, boolean inKvmRun, boolean late,
                  VcpuAccount.Slice slice, long exits) {
        if (timeline == null) return;
        timeline.schedOut(v, cpu, time, preempted, inKvmRun, stampedBy, late, System.nanoTime() - time);
        if (slice != null && slice.start() >= 0) {
            timeline.onCpu(v, slice.cpu(), slice.start(), slice.end(), label(slice.startClass()), slice.startedInKvmRun(), preempted, exits);
        }
    }

    /**
     * A sched-in with its class ({@code c} null for a late record, which is not classified), and the
     * wait it closed (drawn when it began with a preemption; null for a late record) with that
     * wait's KVM_RUN state and exits.
     */
    void schedIn(JkvmTimeline.VcpuRef v, int cpu, long time, String stampedBy, boolean inKvmRun, boolean late,
                 SwitchClassifier.Classified c, String ranBefore, long offCpu, VcpuAccount.Wait wait, boolean waitInKvmRun, long waitExits) {
        if (timeline == null) return;
        JkvmTimeline.SchedInClass cls = c == null ? JkvmTimeline.SchedInClass.NONE
                : new JkvmTimeline.SchedInClass(label(c.switchClass()), c.loadedBefore() == null ? "" : c.loadedBefore().vm(),
                        c.loadedBefore() == null ? -1 : c.loadedBefore().vcpu(), ranBefore, offCpu);
        timeline.schedIn(v, cpu, time, inKvmRun, stampedBy, late, System.nanoTime() - time, cls);
        if (wait != null && wait.start() >= 0 && wait.preempted()) {
            timeline.runnable(v, cpu, wait.start(), wait.end(), cls.switchClass(), waitInKvmRun, waitExits);
        }
    }

    private static String label(SwitchClassifier.SwitchClass c) {
        return c == null ? SwitchClassifier.SwitchClass.UNKNOWN.label() : c.label();
    }

    void reload(JkvmTimeline.VcpuRef v, int cpu, long schedIn, SwitchClassifier.SwitchClass c, long latency) {
        if (timeline == null) return;
        timeline.reload(v, cpu, schedIn, label(c), latency);
    }

    void lost(String source, long count) {
        if (!FlightRecorder.isInitialized()) return;
        PerfRecordsLost e = new PerfRecordsLost();
        e.source = source;
        e.lost = count;
        e.commit();
    }

    void summary(VcpuAccount a) {
        if (!FlightRecorder.isInitialized()) return;
        VcpuSwitchSummary e = new VcpuSwitchSummary();
        e.vm = a.id.vm();
        e.vcpu = a.id.vcpu();
        e.tid = a.id.tid();
        e.schedIns = a.ins;
        e.schedOuts = a.outs;
        e.preemptions = a.preempted;
        e.firstLoads = a.byClass[SwitchClassifier.SwitchClass.FIRST_LOAD.ordinal()];
        e.sameVcpu = a.byClass[SwitchClassifier.SwitchClass.SAME_VCPU.ordinal()];
        e.fromOtherVcpu = a.byClass[SwitchClassifier.SwitchClass.OTHER_VCPU.ordinal()];
        e.outsideKvmRun = a.byClass[SwitchClassifier.SwitchClass.OUTSIDE_KVM_RUN.ordinal()];
        e.unknownClass = a.byClass[SwitchClassifier.SwitchClass.UNKNOWN.ordinal()];
        e.lateRecords = a.late;
        e.gaps = a.gaps;
        e.onCpu = a.onCpu;
        e.onCpuInKvmRun = a.onCpuInKvmRun;
        e.offCpu = a.offCpu;
        e.commit();
    }

    /** @param failures the run's helper failures so far, one line each (empty: none) */
    void recorderSummary(SchedRecorder.Totals t, java.util.List<String> failures) {
        if (!FlightRecorder.isInitialized()) return;
        RecorderSummary r = new RecorderSummary();
        r.failures = String.join("\n", failures);
        r.switchRecords = t.switchRecords();
        r.probeRecords = t.probeRecords();
        r.lostRecords = t.lostRecords();
        r.lateRecords = t.lateRecords();
        r.lagP50 = t.lagP50();
        r.lagP99 = t.lagP99();
        r.lagMax = t.lagMax();
        r.stopRecords = t.stopRecords();
        r.stopLagP99 = t.stopLagP99();
        r.stopLagMax = t.stopLagMax();
        r.recorderNice = t.recorderNice();
        r.ringDataPages = t.ringDataPages();
        r.notRecorded = t.notRecorded();
        r.commit();
    }
}
