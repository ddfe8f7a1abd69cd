package dev.jkvm.sched;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The switch class of every vCPU sched-in, reconstructed from the kernel's own trace lines only
 * (independent of jkvm's recorder): sched_switch says which thread came in; kvm_fpu load/unload,
 * which KVM issues right after vcpu_load at the start of each KVM_RUN and at its end, says whether
 * it was inside KVM_RUN; the CPU's loaded vCPU changes at a sched-in inside KVM_RUN and at a KVM_RUN
 * entry. Written from the KVM source's logic, not from jkvm's classifier.
 */
final class KernelClasses {
    private KernelClasses() {}

    static long key(int tid, long time) {
        return time * 131 + tid;
    }

    /** Class label per sched-in, keyed by {@link #key}(tid, tracepoint time). */
    static Map<Long, String> reconstruct(List<TraceFsCapture.Switch> switches, List<TraceFsCapture.KvmFpu> fpu, Set<Integer> vcpuTids) {
        List<Object> merged = new ArrayList<>();
        merged.addAll(switches); // implied ones too: real switches the tracepoint did not print
        merged.addAll(fpu);
        // One CPU's trace is in the order things happened there: the line order, not the µs timestamps.
        merged.sort((a, b) -> Integer.compare(line(a), line(b)));
        Map<Long, String> classes = new HashMap<>();
        Map<Integer, Boolean> inside = new HashMap<>();
        Map<Integer, Integer> loadedOnCpu = new HashMap<>();
        for (Object o : merged) {
            if (o instanceof TraceFsCapture.KvmFpu f) {
                if (!vcpuTids.contains(f.pid())) continue;
                inside.put(f.pid(), f.load());
                if (f.load()) loadedOnCpu.put(f.cpu(), f.pid()); // vcpu_load at the ioctl's entry
            } else if (o instanceof TraceFsCapture.Switch s && vcpuTids.contains(s.nextPid())) {
                int tid = s.nextPid();
                String c;
                if (!inside.getOrDefault(tid, false)) {
                    c = "outside KVM_RUN";
                } else {
                    Integer before = loadedOnCpu.put(s.cpu(), tid);
                    c = before == null ? "first load on this CPU" : before == tid ? "same vCPU reloaded" : "another vCPU was loaded";
                }
                classes.put(key(tid, s.timeNanos()), c);
            }
        }
        return classes;
    }

    private static int line(Object o) {
        return o instanceof TraceFsCapture.Switch s ? s.line() : ((TraceFsCapture.KvmFpu) o).line();
    }
}
