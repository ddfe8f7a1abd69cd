package dev.jkvm.sched;

import java.util.HashMap;
import java.util.Map;

/**
 * The latest switch seen on each CPU, from the sched:sched_switch tracepoint copy (when recorded)
 * and from the vCPU threads' own switch records. It answers two questions about a vCPU switch the
 * perf record reports: when exactly did the kernel switch (the tracepoint fires in __schedule, the
 * perf sched-in record only in finish_task_switch, microseconds later), and what ran on the CPU
 * right before a sched-in. Pure; fed in kernel time order.
 */
final class CpuHistory {
    /** How far before a perf record the tracepoint of the same switch may lie. */
    static final long SAME_SWITCH_NANOS = 2_000_000;
    /** Without the tracepoint: a vCPU switched out this shortly before a sched-in most likely handed the CPU over. */
    static final long HANDOVER_NANOS = 100_000;

    /** One sched_switch line: prev → next on a CPU at a time. */
    record Switch(long time, int prevTid, String prevComm, int nextTid) {}

    private final Map<Integer, Switch> lastTracepoint = new HashMap<>();
    private final Map<Integer, long[]> lastVcpuOut = new HashMap<>(); // cpu → {time, tid}
    private boolean tracepointRecorded;

    void tracepoint(int cpu, Switch s) {
        tracepointRecorded = true;
        lastTracepoint.put(cpu, s);
    }

    /** The tracepoint copy lost records: its last switches say nothing about what follows. */
    void tracepointLost() {
        lastTracepoint.clear();
    }

    void vcpuOut(int cpu, int tid, long time) {
        lastVcpuOut.put(cpu, new long[] {time, tid});
    }

    /** The tracepoint time of {@code tid} switching out of {@code cpu}, reported by perf at {@code perfTime}; -1 if not seen. */
    long switchOutTime(int cpu, int tid, long perfTime) {
        Switch s = lastTracepoint.get(cpu);
        return s != null && s.prevTid() == tid && sameSwitch(s, perfTime) ? s.time() : -1;
    }

    /** The tracepoint time of {@code tid} switching in on {@code cpu}, reported by perf at {@code perfTime}; -1 if not seen. */
    long switchInTime(int cpu, int tid, long perfTime) {
        Switch s = lastTracepoint.get(cpu);
        return s != null && s.nextTid() == tid && sameSwitch(s, perfTime) ? s.time() : -1;
    }

    private static boolean sameSwitch(Switch s, long perfTime) {
        return s.time() <= perfTime && perfTime - s.time() <= SAME_SWITCH_NANOS;
    }

    /**
     * What ran on {@code cpu} right before {@code tid} was switched in at {@code perfTime}: from the
     * tracepoint when it saw this switch, otherwise inferred from the vCPU threads' records.
     */
    String ranBefore(int cpu, int tid, long perfTime, java.util.function.IntFunction<VcpuId> vcpuOfTid) {
        Switch s = lastTracepoint.get(cpu);
        if (s != null && s.nextTid() == tid && sameSwitch(s, perfTime)) {
            if (s.prevTid() == 0) return "idle";
            VcpuId v = vcpuOfTid.apply(s.prevTid());
            if (v != null) return v.vm() + "/vcpu" + v.vcpu();
            return "foreign: " + s.prevComm() + " (TID " + s.prevTid() + ")";
        }
        String noCopy = tracepointRecorded ? " (not in the sched_switch copy)" : "";
        long[] out = lastVcpuOut.get(cpu);
        if (out != null && (int) out[1] != tid && perfTime - out[0] <= HANDOVER_NANOS) {
            VcpuId v = vcpuOfTid.apply((int) out[1]);
            if (v != null) return v.vm() + "/vcpu" + v.vcpu() + " (inferred from switch records" + noCopy + ")";
        }
        return "idle or a foreign task" + noCopy;
    }
}
