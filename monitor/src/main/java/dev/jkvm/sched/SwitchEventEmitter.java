package dev.jkvm.sched;

import dev.jkvm.jfr.PerfRecordsLost;
import dev.jkvm.jfr.RecorderSummary;
import dev.jkvm.jfr.VcpuReload;
import dev.jkvm.jfr.VcpuSchedIn;
import dev.jkvm.jfr.VcpuSchedOut;
import dev.jkvm.jfr.VcpuSwitch;
import dev.jkvm.jfr.VcpuSwitchSummary;

/**
 * Writes what the recorder concluded about the vCPU threads' switches as JFR events: one per
 * sched-in and sched-out, one per classified sched-in, the per-vCPU summaries and the recorder's
 * own health. Policy-free: every value arrives computed; this class only fills events.
 */
final class SwitchEventEmitter {
    static final String PERF = "perf switch record";
    static final String TRACEPOINT = "sched:sched_switch";

    /** Loads and registers the event classes: the first use of one costs JFR tens of milliseconds. */
    static void warmUp() {
        new VcpuSchedIn().shouldCommit();
        new VcpuSchedOut().shouldCommit();
        new VcpuSwitch().shouldCommit();
        new VcpuSwitchSummary().shouldCommit();
        new PerfRecordsLost().shouldCommit();
        new RecorderSummary().shouldCommit();
        new VcpuReload().shouldCommit();
    }

    void schedOut(VcpuId id, int cpu, long time, String stampedBy, boolean preempted, boolean inKvmRun, boolean late,
                  VcpuAccount.Slice slice) {
        VcpuSchedOut e = new VcpuSchedOut();
        if (!e.shouldCommit()) return;
        e.vm = id.vm();
        e.vcpu = id.vcpu();
        e.tid = id.tid();
        e.cpu = cpu;
        e.kernelTime = time;
        e.stampedBy = stampedBy;
        e.preempted = preempted;
        e.inKvmRun = inKvmRun;
        e.late = late;
        e.lag = System.nanoTime() - time;
        e.commit();
    }

    void schedIn(VcpuId id, int cpu, long time, String stampedBy, boolean inKvmRun, boolean late, VcpuAccount.Wait wait) {
        VcpuSchedIn e = new VcpuSchedIn();
        if (!e.shouldCommit()) return;
        e.vm = id.vm();
        e.vcpu = id.vcpu();
        e.tid = id.tid();
        e.cpu = cpu;
        e.kernelTime = time;
        e.stampedBy = stampedBy;
        e.inKvmRun = inKvmRun;
        e.late = late;
        e.lag = System.nanoTime() - time;
        e.commit();
    }

    void classified(VcpuId id, int cpu, long time, SwitchClassifier.Classified c, String ranBefore, long offCpu) {
        VcpuSwitch w = new VcpuSwitch();
        if (!w.shouldCommit()) return;
        w.vm = id.vm();
        w.vcpu = id.vcpu();
        w.tid = id.tid();
        w.cpu = cpu;
        w.kernelTime = time;
        w.switchClass = c.switchClass().label();
        w.fromVm = c.loadedBefore() == null ? "" : c.loadedBefore().vm();
        w.fromVcpu = c.loadedBefore() == null ? -1 : c.loadedBefore().vcpu();
        w.ranBefore = ranBefore;
        w.offCpu = offCpu;
        w.commit();
    }

    void reload(VcpuId id, int cpu, long schedIn, SwitchClassifier.SwitchClass c, long latency) {
        VcpuReload e = new VcpuReload();
        if (!e.shouldCommit()) return;
        e.vm = id.vm();
        e.vcpu = id.vcpu();
        e.tid = id.tid();
        e.cpu = cpu;
        e.kernelTime = schedIn;
        e.switchClass = c.label();
        e.latency = latency;
        e.commit();
    }

    void lost(String source, long count) {
        PerfRecordsLost e = new PerfRecordsLost();
        e.source = source;
        e.lost = count;
        e.commit();
    }

    void summary(VcpuAccount a) {
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

    void recorderSummary(SchedRecorder.Totals t) {
        RecorderSummary r = new RecorderSummary();
        r.switchRecords = t.switchRecords();
        r.probeRecords = t.probeRecords();
        r.lostRecords = t.lostRecords();
        r.lateRecords = t.lateRecords();
        r.lagP50 = t.lagP50();
        r.lagP99 = t.lagP99();
        r.lagMax = t.lagMax();
        r.commit();
    }
}
