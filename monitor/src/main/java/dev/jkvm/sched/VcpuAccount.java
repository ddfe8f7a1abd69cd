package dev.jkvm.sched;

/**
 * One vCPU thread's schedule as the recorder accounts it: sched-ins and -outs, preemptions, time on
 * and off CPU (on CPU also split by whether the slice began inside KVM_RUN), switch classes, and the
 * state needed to pair the next record with the last. After lost records the pairing state restarts
 * from the next record, so no interval spans the gap. Pure; fed in kernel time order.
 */
final class VcpuAccount {
    final VcpuId id;
    final KvmRunTrace trace;
    long ins, outs, preempted, onCpu, offCpu, onCpuInKvmRun, late, gaps;
    final long[] byClass = new long[SwitchClassifier.SwitchClass.values().length];
    /** Time, CPU and KVM_RUN state of the open slice (sched-in seen, sched-out not yet), or -1. */
    private long lastIn = -1;
    private int lastInCpu = -1;
    private boolean lastInInKvmRun;
    private SwitchClassifier.SwitchClass lastInClass;
    /** A sched-in inside KVM_RUN waiting for its first VM entry (kvm:kvm_entry), or -1; and its class. */
    long reloadFrom = -1;
    SwitchClassifier.SwitchClass reloadClass;
    /** VM entries seen (kvm:kvm_entry samples of this thread) and reload latencies measured. */
    long entries, reloads;
    /**
     * The kernel's view of KVM_RUN from kvm:kvm_fpu (when recorded): inside now, and whether the thread
     * entered KVM_RUN during its open slice. Without it, {@link #trace}'s user-space times answer.
     */
    boolean kernelInside, enteredInSlice;
    /**
     * kvm:kvm_fpu records were lost since this thread's last one ({@code kernelUnknown}), or during its
     * open slice ({@code unknownInSlice}): its kernel state is not known until its next record. The
     * user-space times then answer only "outside" (they bracket the ioctl, so the kernel's KVM_RUN lies
     * within theirs); their "inside" may be a moment before the kernel's entry or after its leave, where
     * a preemption lands most often (trusting it gave a wrong inKvmRun and class to about a fifth of the
     * switches after a loss, unmarked).
     */
    boolean kernelUnknown, unknownInSlice;

    /** The thread's KVM_RUN state at a switch at {@code time} by the kernel's view: INSIDE, OUTSIDE or UNKNOWN. */
    int kernelState(long time) {
        if (!kernelUnknown) return kernelInside ? KvmRunTrace.INSIDE : KvmRunTrace.OUTSIDE;
        return trace.stateAt(time) == KvmRunTrace.OUTSIDE ? KvmRunTrace.OUTSIDE : KvmRunTrace.UNKNOWN;
    }

    /** Whether the thread was inside KVM_RUN at some moment of its slice from {@code start} to {@code end}, by the kernel's view. */
    int kernelEntered(long start, long end) {
        if (enteredInSlice || !kernelUnknown && kernelInside) return KvmRunTrace.INSIDE;
        if (!unknownInSlice) return KvmRunTrace.OUTSIDE;
        return trace.insideDuring(start, end) == KvmRunTrace.OUTSIDE ? KvmRunTrace.OUTSIDE : KvmRunTrace.UNKNOWN;
    }

    /** A kvm:kvm_fpu record of this thread: the kernel loaded (entered KVM_RUN) or put its state. */
    void kernelFpu(boolean load) {
        kernelInside = load;
        kernelUnknown = false;
        if (load) enteredInSlice = true;
    }

    /** kvm:kvm_fpu records were lost, of any thread. */
    void kernelRecordsLost() {
        kernelUnknown = true;
        unknownInSlice = true;
    }
    /** When the thread last went off CPU, whether preempted, or -1. */
    private long lastOut = -1;
    private boolean lastOutPreempted;
    /** Off-CPU intervals {out, in}, kept only for VMs whose guest view is aligned with them. */
    private final SchedRecorder.LongList offCpuIntervals;

    VcpuAccount(VcpuId id, KvmRunTrace trace, boolean keepOffCpuIntervals) {
        this.id = id;
        this.trace = trace;
        this.offCpuIntervals = keepOffCpuIntervals ? new SchedRecorder.LongList() : null;
    }

    /** A closed on-CPU slice: [start, end) on {@code cpu}, or start -1 when its sched-in was not seen. */
    record Slice(long start, long end, int cpu, boolean startedInKvmRun, SwitchClassifier.SwitchClass startClass) {}

    /** A closed off-CPU interval: [start, end), whether it began with a preemption; start -1 when unknown. */
    record Wait(long start, long end, boolean preempted) {}

    Slice schedOut(long time, int cpu, boolean wasPreempted) {
        outs++;
        if (wasPreempted) preempted++;
        Slice slice = new Slice(lastIn, time, lastIn >= 0 ? lastInCpu : cpu, lastInInKvmRun, lastInClass);
        if (lastIn >= 0) {
            onCpu += time - lastIn;
            if (lastInInKvmRun) onCpuInKvmRun += time - lastIn;
        }
        lastIn = -1;
        lastOut = time;
        lastOutPreempted = wasPreempted;
        return slice;
    }

    Wait schedIn(long time, int cpu, boolean inKvmRun, SwitchClassifier.SwitchClass c) {
        ins++;
        if (c != null) byClass[c.ordinal()]++;
        Wait wait = new Wait(lastOut, time, lastOut >= 0 && lastOutPreempted);
        if (lastOut >= 0) {
            offCpu += time - lastOut;
            if (offCpuIntervals != null) {
                offCpuIntervals.add(lastOut);
                offCpuIntervals.add(time);
            }
        }
        lastOut = -1;
        lastIn = time;
        lastInCpu = cpu;
        lastInInKvmRun = inKvmRun;
        lastInClass = c;
        return wait;
    }

    /** Records of this thread were lost: what comes next is not paired with what came before. */
    void gap() {
        gaps++;
        lastIn = -1;
        lastOut = -1;
    }

    /** The time of the open slice's sched-in, or -1. */
    long openSliceStart() {
        return lastIn;
    }

    long[] offCpuIntervals() {
        return offCpuIntervals == null ? new long[0] : offCpuIntervals.toArray();
    }
}
