package dev.jkvm.sched;

/**
 * One privileged kernel probe on the experiment CPU: a kprobe (kvm_sched_in, kvm_sched_out,
 * kvm_arch_vcpu_load, the vendor load) or the sched:sched_switch tracepoint. Owns its perf event.
 */
public final class ProbeSource implements AutoCloseable {
    /** What a probe's samples mean, and which event they become. */
    public enum Kind { KVM_SCHED_IN, KVM_SCHED_OUT, ARCH_VCPU_LOAD, VENDOR_VCPU_LOAD, SCHED_SWITCH, KVM_ENTRY, KVM_FPU }

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
        long[] last = {-1};
        event.drain((type, misc, record) -> {
            if (type == ProbeSample.TYPE) {
                ProbeSample sample = ProbeSample.decode(record, format != null);
                last[0] = sample.time();
                recorder.probeSample(this, sample);
            } else if (type == SwitchRecord.LOST) {
                recorder.probeLost(this, SwitchRecord.lostTime(record), SwitchRecord.lostCount(record));
            }
        });
        // A full ring: the records after the last one read may be dropped, and the kernel's count of
        // them comes only later, stamped at its write. A loss of 0 is said now, at the last record's
        // time, so the switches of the gap are not judged by state the lost records changed.
        if (event.ringWasFull() && last[0] >= 0) recorder.probeLost(this, last[0] + 1, 0); // how many: when the kernel says
    }

    /** Whether a kvm_fpu sample is a load (KVM_RUN begins) rather than a put (it ends). */
    boolean fpuLoad(ProbeSample s) {
        if (kind != Kind.KVM_FPU) throw new IllegalStateException(function + " samples are not kvm_fpu lines");
        return format.integer(s.raw(), "load") != 0;
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
