package dev.jkvm.sched;

import dev.jkvm.jfr.KernelSchedSwitch;
import dev.jkvm.jfr.KvmSchedIn;
import dev.jkvm.jfr.KvmSchedOut;
import dev.jkvm.jfr.VcpuLoad;

/** Turns decoded kernel probe samples into their JFR events, naming the vCPU when the task is one of ours. */
final class KernelEvents {
    private KernelEvents() {}

    /** Loads and registers the event classes before the first sample arrives. */
    static void warmUp() {
        new KvmSchedIn().shouldCommit();
        new KvmSchedOut().shouldCommit();
        new VcpuLoad().shouldCommit();
        new KernelSchedSwitch().shouldCommit();
    }

    static void probeHit(ProbeSource.Kind kind, String function, ProbeSample s, SchedRecorder recorder) {
        VcpuId v = recorder.vcpuOfTid(s.tid());
        String vm = v == null ? "" : v.vm();
        int vcpu = v == null ? -1 : v.vcpu();
        switch (kind) {
            case KVM_SCHED_IN -> {
                KvmSchedIn e = new KvmSchedIn();
                if (e.shouldCommit()) {
                    e.vm = vm; e.vcpu = vcpu; e.tid = s.tid(); e.cpu = s.cpu(); e.kernelTime = s.time();
                    e.commit();
                }
            }
            case KVM_SCHED_OUT -> {
                KvmSchedOut e = new KvmSchedOut();
                if (e.shouldCommit()) {
                    e.vm = vm; e.vcpu = vcpu; e.tid = s.tid(); e.cpu = s.cpu(); e.kernelTime = s.time();
                    e.commit();
                }
            }
            case ARCH_VCPU_LOAD, VENDOR_VCPU_LOAD -> {
                VcpuLoad e = new VcpuLoad();
                if (e.shouldCommit()) {
                    e.function = function; e.vm = vm; e.vcpu = vcpu; e.tid = s.tid(); e.cpu = s.cpu(); e.kernelTime = s.time();
                    e.commit();
                }
            }
            case SCHED_SWITCH, KVM_ENTRY -> throw new IllegalArgumentException(kind + " samples are not probe hits");
        }
        recorder.recordLag(s.time());
    }

    static void schedSwitch(ProbeSample s, TracepointFormat f, SchedRecorder recorder) {
        KernelSchedSwitch e = new KernelSchedSwitch();
        if (e.shouldCommit()) {
            int prev = (int) f.integer(s.raw(), "prev_pid");
            int next = (int) f.integer(s.raw(), "next_pid");
            VcpuId pv = recorder.vcpuOfTid(prev), nv = recorder.vcpuOfTid(next);
            e.cpu = s.cpu();
            e.kernelTime = s.time();
            e.prevTid = prev;
            e.prevComm = f.string(s.raw(), "prev_comm");
            e.prevState = taskState(f.integer(s.raw(), "prev_state"));
            e.prevVm = pv == null ? "" : pv.vm();
            e.nextTid = next;
            e.nextComm = f.string(s.raw(), "next_comm");
            e.nextVm = nv == null ? "" : nv.vm();
            e.commit();
        }
        recorder.recordLag(s.time());
    }

    /**
     * The letter the kernel prints for a sched_switch prev_state: 0 is R (runnable, i.e. preempted);
     * otherwise the lowest set state bit: S, D, T, t, X, Z, P, I. TASK_REPORT_MAX (preempted while
     * running in some kernels' encoding) also reads as R+.
     */
    static String taskState(long state) {
        if (state == 0) return "R";
        String letters = "SDTtXZPI";
        for (int bit = 0; bit < letters.length(); bit++) {
            if ((state & (1L << bit)) != 0) return String.valueOf(letters.charAt(bit));
        }
        return "R+";
    }
}
