package dev.jkvm.sched;

/**
 * One privileged kernel probe on the experiment CPU: a kprobe (kvm_sched_in, kvm_sched_out,
 * kvm_arch_vcpu_load, the vendor load) or the sched:sched_switch tracepoint. Owns its perf event.
 */
public final class ProbeSource implements AutoCloseable {
    /** What a probe's samples mean, and which event they become. */
    public enum Kind { KVM_SCHED_IN, KVM_SCHED_OUT, ARCH_VCPU_LOAD, VENDOR_VCPU_LOAD, SCHED_SWITCH, KVM_ENTRY }

    private final Kind kind;
    private final String function;
    private final PerfEvent event;
    private final TracepointFormat format;

    ProbeSource(Kind kind, String function, PerfEvent event, TracepointFormat format) {
        this.kind = kind;
        this.function = function;
        this.event = event;
        this.format = format;
    }

    Kind kind() {
        return kind;
    }

    String what() {
        return event.what();
    }

    void drain(SchedRecorder recorder) {
        event.drain((type, misc, record) -> {
            if (type == ProbeSample.TYPE) {
                recorder.probeSample(this, ProbeSample.decode(record, format != null));
            } else if (type == SwitchRecord.LOST) {
                recorder.probeLost(this, SwitchRecord.lostTime(record), SwitchRecord.lostCount(record));
            }
        });
    }

    /** The prev → next of a sched_switch sample. */
    CpuHistory.Switch decodeSwitch(ProbeSample s) {
        if (kind != Kind.SCHED_SWITCH) throw new IllegalStateException(function + " samples are not sched_switch lines");
        return new CpuHistory.Switch(s.time(), (int) format.integer(s.raw(), "prev_pid"), format.string(s.raw(), "prev_comm"),
                (int) format.integer(s.raw(), "next_pid"));
    }

    void emit(ProbeSample s, SchedRecorder recorder) {
        if (kind == Kind.SCHED_SWITCH) {
            KernelEvents.schedSwitch(s, format, recorder);
        } else {
            KernelEvents.probeHit(kind, function, s, recorder);
        }
    }

    @Override
    public void close() {
        event.close();
    }
}
