package dev.jkvm.jfr;

import dev.jkvm.jfr.timeline.ClockMapping;
import dev.jkvm.jfr.timeline.TimelineChunk;
import dev.jkvm.jfr.timeline.TimelineEvent;
import dev.jkvm.jfr.timeline.TimelineThread;
import dev.jkvm.jfr.timeline.TimelineType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * jkvm's events that describe kernel moments, written at those moments and on the threads they
 * describe: they go to a {@link TimelineChunk} appended to the run's recording once the JVM has
 * written it (see the README, "Events at their kernel time"). One per run; thread-safe.
 */
public final class JkvmTimeline implements AutoCloseable {
    static final TimelineType SCHED_IN = TimelineType.of(VcpuSchedIn.class);
    static final TimelineType SCHED_OUT = TimelineType.of(VcpuSchedOut.class);
    static final TimelineType ON_CPU = TimelineType.of(VcpuOnCpu.class);
    static final TimelineType RUNNABLE = TimelineType.of(VcpuRunnable.class);
    static final TimelineType KVM_SCHED_IN = TimelineType.of(KvmSchedIn.class);
    static final TimelineType KVM_SCHED_OUT = TimelineType.of(KvmSchedOut.class);
    static final TimelineType VCPU_LOAD = TimelineType.of(VcpuLoad.class);
    static final TimelineType KERNEL_SCHED_SWITCH = TimelineType.of(KernelSchedSwitch.class);
    static final TimelineType GUEST_GAP = TimelineType.of(GuestGap.class);
    static final TimelineType WAKEUP = TimelineType.of(WakeupLatency.class);
    static final TimelineType LOCK_WAIT = TimelineType.of(LockWait.class);
    static final TimelineType RELOAD = TimelineType.of(VcpuReload.class);
    static final TimelineType KVM_STATS = TimelineType.of(KvmStats.class);
    /** The event classes written to the timeline (registered with the JVM by the types above). */
    static final java.util.List<Class<? extends jdk.jfr.Event>> EVENT_CLASSES = java.util.List.of(VcpuSchedIn.class, VcpuSchedOut.class,
            VcpuOnCpu.class, VcpuRunnable.class, KvmSchedIn.class, KvmSchedOut.class, VcpuLoad.class,
            KernelSchedSwitch.class, GuestGap.class, WakeupLatency.class, LockWait.class, VcpuReload.class, KvmStats.class);

    private final TimelineChunk chunk;

    /** Declares the event types to the JVM (done once, when this class loads); call before the first event, at no cost after. */
    public static void declare() {
        ClockMapping.declare(); // the timeline types: class initialisation registered them
    }

    private JkvmTimeline(TimelineChunk chunk) {
        this.chunk = chunk;
    }

    /**
     * Starts the timeline of a run recorded by {@code recording} (running) to {@code file}: commits a
     * clock reference to it. Events spill to a hidden file beside {@code file}.
     */
    public static JkvmTimeline open(jdk.jfr.Recording recording, Path file) {
        ClockMapping.enableOn(recording);
        Path spill = spillFile(file);
        try {
            JkvmTimeline t = new JkvmTimeline(TimelineChunk.open(spill));
            ClockMapping.mark();
            return t;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the timeline spill file " + spill, e);
        }
    }

    /**
     * Where the timeline of a run recorded to {@code file} spills: a hidden file beside it, or in
     * java.io.tmpdir when {@code file} is not a regular file (a FIFO or a device, whose directory,
     * such as /dev, is no place for it).
     */
    public static Path spillFile(Path file) {
        Path abs = file.toAbsolutePath();
        String name = "." + abs.getFileName() + ".timeline-" + ProcessHandle.current().pid();
        if (Files.exists(abs) && !Files.isRegularFile(abs)) return Path.of(System.getProperty("java.io.tmpdir")).resolve(name);
        return abs.resolveSibling(name);
    }

    /** Call just before the recording stops: a second clock reference, so the mapping's drift is measured. */
    public void beforeRecordingStops() {
        ClockMapping.mark();
    }

    /** What {@link #appendTo} did. */
    public record Appended(long events, long bytes, ClockMapping clock) {}

    /** Appends the timeline to the finished recording {@code file} and removes the spill file. */
    public Appended appendTo(Path file) throws IOException {
        try {
            ClockMapping clock = ClockMapping.read(file);
            long bytes = chunk.appendTo(file, clock);
            return new Appended(chunk.eventCount(), bytes, clock);
        } finally {
            chunk.close();
        }
    }

    @Override
    public void close() {
        chunk.close();
    }

    /**
     * A vCPU thread switched in, with its class (empty for a late record, which is not classified);
     * drawn on the vCPU's thread. One event per sched-in: recordings before it wrote the class as a
     * separate {@code jkvm.VcpuSwitch}, whose header and times cost as much again.
     */
    public void schedIn(VcpuRef v, int cpu, long time, boolean inKvmRun, String stampedBy, boolean late, long lag, SchedInClass c) {
        event(SCHED_IN, time, 0, v.thread()).putString("vm", v.vm()).putInt("vcpu", v.vcpu()).putInt("tid", v.tid())
                .putInt("cpu", cpu).putLong("monotonicNanos", time).putBoolean("inKvmRun", inKvmRun)
                .putString("stampedBy", stampedBy).putBoolean("late", late).putLong("lag", lag)
                .putString("switchClass", c.switchClass()).putString("fromVm", c.fromVm()).putInt("fromVcpu", c.fromVcpu())
                .putString("ranBefore", c.ranBefore()).putLong("offCpu", c.offCpu()).commit();
    }

    public void schedOut(VcpuRef v, int cpu, long time, boolean preempted, boolean inKvmRun, String stampedBy, boolean late, long lag) {
        event(SCHED_OUT, time, 0, v.thread()).putString("vm", v.vm()).putInt("vcpu", v.vcpu()).putInt("tid", v.tid())
                .putInt("cpu", cpu).putLong("monotonicNanos", time).putBoolean("preempted", preempted)
                .putBoolean("inKvmRun", inKvmRun).putString("stampedBy", stampedBy).putBoolean("late", late).putLong("lag", lag).commit();
    }

    /**
     * A slice on CPU, from sched-in {@code in} to sched-out {@code out}; drawn on the vCPU's thread.
     * The lanes carry only what the sched-in/out pair does not say at a glance: no TID (their thread's
     * OS id) and no raw kernel time (the start of the sched-in or sched-out at the same instant on the
     * same thread), about 10 bytes a lane, two lanes a switch.
     */
    public void onCpu(VcpuRef v, int cpu, long in, long out, String switchClass, boolean inKvmRun, boolean preempted, long exits) {
        event(ON_CPU, in, out - in, v.thread()).putString("vm", v.vm()).putInt("vcpu", v.vcpu())
                .putInt("cpu", cpu).putString("switchClass", switchClass).putBoolean("inKvmRun", inKvmRun)
                .putBoolean("preempted", preempted).putLong("exits", exits).commit();
    }

    /** A wait for the CPU, from the preempting sched-out {@code out} to the sched-in {@code in}; drawn on the vCPU's thread. */
    public void runnable(VcpuRef v, int cpu, long out, long in, String switchClass, boolean inKvmRun, long exits) {
        event(RUNNABLE, out, in - out, v.thread()).putString("vm", v.vm()).putInt("vcpu", v.vcpu())
                .putInt("cpu", cpu).putString("switchClass", switchClass).putBoolean("inKvmRun", inKvmRun)
                .putLong("exits", exits).commit();
    }

    /** A reload: from a sched-in inside KVM_RUN to the thread's first VM entry after it; drawn on the vCPU's thread. */
    public void reload(VcpuRef v, int cpu, long schedIn, String switchClass, long latency) {
        event(RELOAD, schedIn, latency, v.thread()).putString("vm", v.vm()).putInt("vcpu", v.vcpu()).putInt("tid", v.tid())
                .putInt("cpu", cpu).putString("switchClass", switchClass).putLong("latency", latency)
                .putLong("monotonicNanos", schedIn).commit();
    }

    /** A kvm_sched_in / kvm_sched_out kprobe hit; {@code v} null when the task is not a vCPU thread. */
    public void kvmSched(boolean in, VcpuRef v, int tid, int cpu, long time) {
        event(in ? KVM_SCHED_IN : KVM_SCHED_OUT, time, 0, v == null ? null : v.thread())
                .putString("vm", v == null ? "" : v.vm()).putInt("vcpu", v == null ? -1 : v.vcpu()).putInt("tid", tid).putInt("cpu", cpu)
                .putLong("monotonicNanos", time).commit();
    }

    public void vcpuLoad(String function, VcpuRef v, int tid, int cpu, long time) {
        event(VCPU_LOAD, time, 0, v == null ? null : v.thread()).putString("function", function)
                .putString("vm", v == null ? "" : v.vm()).putInt("vcpu", v == null ? -1 : v.vcpu()).putInt("tid", tid).putInt("cpu", cpu)
                .putLong("monotonicNanos", time).commit();
    }

    /** A sched:sched_switch on the experiment CPU; drawn on the vCPU thread switched in, if one is. */
    public void kernelSchedSwitch(int cpu, long time, int prevTid, String prevComm, String prevState, VcpuRef prev,
                                  int nextTid, String nextComm, VcpuRef next) {
        event(KERNEL_SCHED_SWITCH, time, 0, next == null ? null : next.thread()).putInt("cpu", cpu)
                .putLong("monotonicNanos", time)
                .putInt("prevTid", prevTid).putString("prevComm", prevComm).putString("prevState", prevState)
                .putString("prevVm", prev == null ? "" : prev.vm())
                .putInt("nextTid", nextTid).putString("nextComm", nextComm).putString("nextVm", next == null ? "" : next.vm())
                .commit();
    }

    /**
     * A gap the guest saw. {@code start} is its host CLOCK_MONOTONIC start, or -1 when no mapping was
     * measured; then the event sits at {@code readAt}, when the gap was read.
     */
    /**
     * A gap the guest saw on {@code thread} (its vCPU's; null when not known), from its estimated host
     * start for as long as it lasted, so that JMC draws it on the vCPU's lane beside the slices that
     * explain it; at {@code readAt} and without a duration when no start could be estimated.
     */
    public void guestGap(String vm, TimelineThread thread, long guestTsc, long gapCycles, long gap, long tscHz, long measuredTscHz, long start,
                         long sequence, long readAt) {
        boolean placed = start >= 0;
        event(GUEST_GAP, placed ? start : readAt, placed ? Math.max(0, gap) : 0, thread).putString("vm", vm).putLong("guestTsc", guestTsc)
                .putLong("gapCycles", gapCycles).putLong("gap", gap).putLong("tscHz", tscHz).putLong("measuredTscHz", measuredTscHz)
                .putLong("estimatedStart", start).putLong("monotonicNanos", start).putLong("sequence", sequence).commit();
    }

    /**
     * A timer guest's tick on {@code thread} (its vCPU's; null when not known): from the expiry that was
     * due to wake the vCPU ({@code handler} − the latency) to the handler, at host time {@code handler}
     * (CLOCK_MONOTONIC mapped from the guest TSC); at {@code readAt} and without a duration when no
     * mapping could be measured ({@code handler} negative).
     */
    public void wakeupLatency(TimelineThread thread, String vm, int vcpu, long sequence, long guestTsc, long latency, long sinceExpiry,
                              long missedTicks, long period, long handler, long readAt) {
        boolean placed = handler >= 0;
        long extent = placed ? Math.max(0, latency) : 0;
        event(WAKEUP, placed ? handler - extent : readAt, extent, thread).putString("vm", vm).putInt("vcpu", vcpu)
                .putLong("sequence", sequence).putLong("guestTsc", guestTsc).putLong("latency", latency).putLong("sinceExpiry", sinceExpiry)
                .putLong("missedTicks", missedTicks).putLong("period", period).putLong("handlerTime", handler)
                .putLong("monotonicNanos", handler).commit();
    }

    /**
     * A lock guest's contended acquisition on {@code thread} (its vCPU's; null when not known): from the
     * first try ({@code acquired} − the wait) to the acquisition at host time {@code acquired}; at
     * {@code readAt} and without a duration when no mapping could be measured ({@code acquired} negative).
     */
    public void lockWait(TimelineThread thread, String vm, int vcpu, long sequence, long guestTsc, long waitTime, long holdTime,
                         long acquired, long readAt) {
        boolean placed = acquired >= 0;
        long extent = placed ? Math.max(0, waitTime) : 0;
        event(LOCK_WAIT, placed ? acquired - extent : readAt, extent, thread).putString("vm", vm).putInt("vcpu", vcpu)
                .putLong("sequence", sequence).putLong("guestTsc", guestTsc).putLong("waitTime", waitTime).putLong("holdTime", holdTime)
                .putLong("acquiredTime", acquired).putLong("monotonicNanos", acquired).commit();
    }

    /**
     * A KVM statistic that changed, sampled at {@code at} (CLOCK_MONOTONIC), on no thread. Written
     * here rather than committed by the JVM, which keeps strings under 17 characters inline: in the
     * chunk's pool its five strings (VM, scope, name, unit, kind) take a key each, about half the
     * event's bytes (256 VMs write some 2,300 of them at the end of every run).
     */
    public void kvmStat(long at, String vm, String scope, String name, long value, long delta, String unit, String kind) {
        event(KVM_STATS, at, 0, null).putString("vm", vm).putString("scope", scope).putString("name", name).putLong("value", value)
                .putLong("delta", delta).putString("unit", unit).putString("kind", kind).commit();
    }

    private TimelineEvent event(TimelineType type, long start, long duration, TimelineThread thread) {
        return chunk.event(type, start, duration, thread);
    }

    /**
     * What a sched-in was classified as: its class, the vCPU KVM had loaded before on that CPU (empty
     * and -1 when none or unknown), what ran before and the time off CPU (0 when not known).
     */
    public record SchedInClass(String switchClass, String fromVm, int fromVcpu, String ranBefore, long offCpu) {
        /** A late record's: not classified. */
        public static final SchedInClass NONE = new SchedInClass("", "", -1, "", 0);
    }

    /** A vCPU as the timeline names it: its VM, index, kernel TID and Java thread. */
    public record VcpuRef(String vm, int vcpu, int tid, TimelineThread thread) {}
}
