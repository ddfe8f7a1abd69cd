package dev.jkvm.sched;

import dev.jkvm.jfr.JkvmTimeline;

/** Turns decoded kernel probe samples into their timeline events, naming the vCPU (and its thread) when the task is one of ours. */
final class KernelEvents {
    private KernelEvents() {}

    /** Loads and registers the event classes before the first sample arrives. */
    static void warmUp() {
        if (!jdk.jfr.FlightRecorder.isInitialized()) return; // no JFR, no events: see SwitchEventEmitter.warmUp
        JkvmTimeline.declare();
    }

    static void probeHit(ProbeSource.Kind kind, String function, ProbeSample s, SchedRecorder recorder) {
        JkvmTimeline timeline = recorder.timeline();
        if (timeline != null) {
            JkvmTimeline.VcpuRef v = recorder.refOfTid(s.tid());
            switch (kind) {
                case KVM_SCHED_IN -> timeline.kvmSched(true, v, s.tid(), s.cpu(), s.time());
                case KVM_SCHED_OUT -> timeline.kvmSched(false, v, s.tid(), s.cpu(), s.time());
                case ARCH_VCPU_LOAD, VENDOR_VCPU_LOAD -> timeline.vcpuLoad(function, v, s.tid(), s.cpu(), s.time());
                case SCHED_SWITCH, KVM_ENTRY, KVM_FPU -> throw new IllegalArgumentException(kind + " samples are not probe hits");
            }
        }
        recorder.recordLag(s.time());
    }

    static void schedSwitch(ProbeSample s, TracepointFormat f, SchedRecorder recorder) {
        JkvmTimeline timeline = recorder.timeline();
        if (timeline != null) {
            int prev = (int) f.integer(s.raw(), "prev_pid");
            int next = (int) f.integer(s.raw(), "next_pid");
            timeline.kernelSchedSwitch(s.cpu(), s.time(), prev, f.string(s.raw(), "prev_comm"), taskState(f.integer(s.raw(), "prev_state")),
                    recorder.refOfTid(prev), next, f.string(s.raw(), "next_comm"), recorder.refOfTid(next));
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
