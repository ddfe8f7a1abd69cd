package dev.jkvm.sched;

import dev.jkvm.experiment.KvmRunTrace;
import dev.jkvm.jfr.JkvmTimeline;
import dev.jkvm.jfr.PerfRecordsLost;
import dev.jkvm.jfr.RecorderSummary;
import dev.jkvm.jfr.VcpuLane;
import dev.jkvm.jfr.VcpuSwitchSummary;
import dev.jkvm.jfr.timeline.TimelineThread;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * Turns the kernel's context-switch records of every vCPU thread into JFR events, promptly and in
 * kernel time order. One perf event per vCPU thread (opened from that thread before its first
 * KVM_RUN), drained by one recorder thread that runs off the experiment CPU.
 *
 * <p>Ordering: rings are drained one after another, so a record stamped just before a drain may
 * become visible only in the next one. Records younger than {@link #HOLD_BACK_NANOS} stay pending
 * until a later pass; the final flush takes everything. The lag this adds is measured and recorded.
 */
public final class SchedRecorder implements AutoCloseable {
    private static final long POLL_NANOS = 1_000_000;
    static final long HOLD_BACK_NANOS = 2_000_000;
    private static final int RING_PAGES = 64;

    private final List<Source> sources = new CopyOnWriteArrayList<>();
    private final List<ProbeSource> probes = new CopyOnWriteArrayList<>();
    private final SwitchClassifier classifier = new SwitchClassifier();
    private final PrintWriter notices;
    /** Where switch and probe events go, at their kernel time and on their vCPU's thread; null when not recording. */
    private final JkvmTimeline timeline;
    private final BitSet recorderCpus;
    private final Thread thread;
    private final List<Pending> pending = new ArrayList<>();
    private final LongList lags = new LongList();
    private volatile boolean stopping;
    private long switchRecords;
    private long probeRecords;
    private long lostRecords;
    private volatile String openFailure;

    /** One vCPU thread's switch records. */
    private static final class Source {
        final VcpuId id;
        final JkvmTimeline.VcpuRef ref;
        final VcpuLane lane;
        final PerfEvent event;
        final KvmRunTrace trace;
        long ins, outs, preempted, firstRuns, sameVcpu, otherVcpu, onCpu, offCpu, onCpuInKvmRun;
        boolean lastInInKvmRun;
        long lastIn = -1, lastOut = -1;
        boolean seenAny;
        /** Off-CPU intervals {out, in} in kernel time, for aligning what the guest saw. */
        final LongList offCpuIntervals = new LongList();

        Source(VcpuId id, TimelineThread thread, PerfEvent event, KvmRunTrace trace, JkvmTimeline timeline) {
            this.id = id;
            this.ref = new JkvmTimeline.VcpuRef(id.vm(), id.vcpu(), id.tid(), thread);
            this.lane = timeline == null ? null : new VcpuLane(timeline, ref, trace::leavesBetween);
            this.event = event;
            this.trace = trace;
        }
    }

    /** A decoded record waiting for its turn in time order. */
    private record Pending(long time, Source source, SwitchRecord record, ProbeSource probe, ProbeSample sample) {}

    /**
     * @param recorderCpus where the recorder thread may run (the allowed CPUs minus the experiment
     *                     CPU); empty to leave it unpinned
     */
    public SchedRecorder(PrintWriter notices, BitSet recorderCpus, JkvmTimeline timeline) {
        this.notices = notices;
        this.timeline = timeline;
        this.recorderCpus = recorderCpus;
        this.thread = Thread.ofPlatform().name("jkvm-recorder").daemon(true).unstarted(this::loop);
    }

    public void start() {
        warmUp();
        thread.start();
    }

    /**
     * Loads and registers the event classes before the first switch arrives: the first use of an
     * event class costs JFR tens of milliseconds, which would otherwise show up as lag. (The timeline's
     * event classes are registered when JkvmTimeline loads.)
     */
    private static void warmUp() {
        new PerfRecordsLost().shouldCommit();
    }

    /**
     * Opens context-switch recording for the calling vCPU thread. Call from that thread, before its
     * first KVM_RUN. A failure is reported once, clearly, and the run goes on without switch events.
     */
    public void attachCurrentThread(VcpuId id, KvmRunTrace trace) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = PerfAttributes.contextSwitches(arena);
            PerfEvent event = PerfEvent.open(attr, id.tid(), -1, RING_PAGES, "switches of " + id);
            sources.add(new Source(id, TimelineThread.current(id.tid()), event, trace, timeline));
        } catch (RuntimeException e) {
            if (openFailure == null) {
                openFailure = e.getMessage();
                notices.println("jkvm: cannot record vCPU sched-in/out: " + e.getMessage() + PerfPermissions.advice());
                notices.flush();
            }
        }
    }

    /** Adds a privileged kernel probe (kprobe or tracepoint) whose samples become events. */
    public void addProbe(ProbeSource probe) {
        probes.add(probe);
    }

    /** The vCPU a TID belongs to, as the timeline names it, or null. */
    JkvmTimeline.VcpuRef vcpuOfTid(int tid) {
        for (Source s : sources) if (s.id.tid() == tid) return s.ref;
        return null;
    }

    /** Where kernel-moment events go; null when the run is not recorded. */
    JkvmTimeline timeline() {
        return timeline;
    }

    public boolean recordingSwitches() {
        return openFailure == null && !sources.isEmpty();
    }

    private void loop() {
        if (!recorderCpus.isEmpty()) {
            dev.jkvm.bindings.Syscalls.setAffinity(dev.jkvm.bindings.Syscalls.gettid(), recorderCpus);
        }
        while (!stopping) {
            pass(false);
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /** Stops the recorder thread, drains everything left and commits the summaries. Call after the vCPU threads ended. */
    public void stopAndFlush() throws InterruptedException {
        stopping = true;
        thread.join();
        awaitThreadsGone();
        pass(true);
        commitSummaries();
    }

    /**
     * Thread.join returns while the native thread is still on its way out (JVM teardown, pthread
     * exit), and it can be switched out and in meanwhile; the kernel writes those records until the
     * task exits. Waiting until /proc no longer lists the task makes the final drain complete.
     */
    private void awaitThreadsGone() throws InterruptedException {
        long deadline = System.nanoTime() + 2_000_000_000L;
        for (Source s : sources) {
            java.nio.file.Path task = java.nio.file.Path.of("/proc/self/task", Integer.toString(s.id.tid()));
            while (java.nio.file.Files.exists(task) && System.nanoTime() < deadline) Thread.sleep(1);
        }
    }

    private synchronized void pass(boolean flushAll) {
        long horizon = System.nanoTime() - HOLD_BACK_NANOS;
        for (Source s : sources) {
            s.event.drain((type, misc, record) -> {
                if (type == SwitchRecord.TYPE) {
                    SwitchRecord r = SwitchRecord.decode(misc, record);
                    pending.add(new Pending(r.time(), s, r, null, null));
                } else if (type == SwitchRecord.LOST) {
                    lost(s.event.what(), SwitchRecord.lostCount(record));
                }
            });
        }
        for (ProbeSource p : probes) {
            p.drain(this);
        }
        if (pending.isEmpty()) return;
        pending.sort(Comparator.comparingLong(Pending::time));
        int done = 0;
        for (Pending p : pending) {
            if (!flushAll && p.time() > horizon) break;
            if (p.record() != null) {
                emitSwitch(p.source(), p.record());
            } else {
                p.probe().emit(p.sample(), this);
                probeRecords++;
            }
            done++;
        }
        pending.subList(0, done).clear();
    }

    void addPendingProbeSample(ProbeSource probe, ProbeSample sample) {
        pending.add(new Pending(sample.time(), null, null, probe, sample));
    }

    void lost(String what, long count) {
        lostRecords += count;
        PerfRecordsLost e = new PerfRecordsLost();
        e.source = what;
        e.lost = count;
        e.commit();
        notices.println("jkvm: the kernel dropped " + count + " perf records of " + what + " (ring full); the recording is incomplete");
        notices.flush();
    }

    void recordLag(long kernelTime) {
        lags.add(System.nanoTime() - kernelTime);
    }

    private void emitSwitch(Source s, SwitchRecord r) {
        switchRecords++;
        int state = s.trace.stateAt(r.time());
        if (r.out()) {
            if (!s.seenAny) classifier.alreadyRunning(s.id, r.cpu());
            s.outs++;
            if (r.preempted()) s.preempted++;
            if (s.lastIn >= 0) {
                s.onCpu += r.time() - s.lastIn;
                if (s.lastInInKvmRun) s.onCpuInKvmRun += r.time() - s.lastIn;
            }
            s.lastOut = r.time();
            if (timeline != null) {
                boolean inKvmRun = state == KvmRunTrace.INSIDE;
                timeline.schedOut(s.ref, r.cpu(), r.time(), r.preempted(), inKvmRun, System.nanoTime() - r.time());
                s.lane.schedOut(r.cpu(), r.time(), r.preempted(), inKvmRun);
            }
        } else {
            s.ins++;
            long offCpu = s.lastOut >= 0 ? r.time() - s.lastOut : 0;
            s.offCpu += offCpu;
            if (s.lastOut >= 0) {
                s.offCpuIntervals.add(s.lastOut);
                s.offCpuIntervals.add(r.time());
            }
            s.lastIn = r.time();
            s.lastInInKvmRun = state == KvmRunTrace.INSIDE;
            SwitchClassifier.Classified c = classifier.schedIn(s.id, r.cpu());
            switch (c.switchClass()) {
                case FIRST_RUN -> s.firstRuns++;
                case SAME_VCPU -> s.sameVcpu++;
                case OTHER_VCPU -> s.otherVcpu++;
            }
            if (timeline != null) {
                boolean inKvmRun = state == KvmRunTrace.INSIDE;
                String switchClass = c.switchClass().label();
                timeline.schedIn(s.ref, r.cpu(), r.time(), inKvmRun, System.nanoTime() - r.time());
                timeline.vcpuSwitch(s.ref, r.cpu(), r.time(), switchClass, c.previous() == null ? "" : c.previous().vm(),
                        c.previous() == null ? -1 : c.previous().vcpu(), offCpu);
                s.lane.schedIn(r.cpu(), r.time(), switchClass, inKvmRun);
            }
        }
        s.seenAny = true;
        recordLag(r.time());
    }

    private void commitSummaries() {
        for (Source s : sources) {
            VcpuSwitchSummary e = new VcpuSwitchSummary();
            e.vm = s.id.vm();
            e.vcpu = s.id.vcpu();
            e.tid = s.id.tid();
            e.schedIns = s.ins;
            e.schedOuts = s.outs;
            e.preemptions = s.preempted;
            e.firstRuns = s.firstRuns;
            e.sameVcpu = s.sameVcpu;
            e.fromOtherVcpu = s.otherVcpu;
            e.onCpu = s.onCpu;
            e.onCpuInKvmRun = s.onCpuInKvmRun;
            e.offCpu = s.offCpu;
            e.commit();
        }
        long[] sorted = lags.toSortedArray();
        RecorderSummary r = new RecorderSummary();
        r.switchRecords = switchRecords;
        r.probeRecords = probeRecords;
        r.lostRecords = lostRecords;
        r.lagP50 = percentile(sorted, 0.50);
        r.lagP99 = percentile(sorted, 0.99);
        r.lagMax = sorted.length == 0 ? 0 : sorted[sorted.length - 1];
        r.commit();
    }

    /** The off-CPU intervals {out, in} of a VM's vCPU threads, in kernel time order. */
    public synchronized List<long[]> offCpuIntervals(String vm) {
        List<long[]> out = new ArrayList<>();
        for (Source s : sources) {
            if (!s.id.vm().equals(vm)) continue;
            long[] flat = s.offCpuIntervals.toArray();
            for (int i = 0; i + 1 < flat.length; i += 2) out.add(new long[] {flat[i], flat[i + 1]});
        }
        return out;
    }

    /** What the recorder saw, for the run's summary line. */
    public record Totals(long switchRecords, long probeRecords, long lostRecords, long lagP50, long lagP99, long lagMax) {}

    public synchronized Totals totals() {
        long[] sorted = lags.toSortedArray();
        return new Totals(switchRecords, probeRecords, lostRecords, percentile(sorted, 0.5), percentile(sorted, 0.99),
                sorted.length == 0 ? 0 : sorted[sorted.length - 1]);
    }

    static long percentile(long[] sorted, double q) {
        if (sorted.length == 0) return 0;
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    @Override
    public void close() {
        stopping = true;
        for (Source s : sources) s.event.close();
        for (ProbeSource p : probes) p.close();
    }

    /** A growable array of primitive longs (lags), so recording a lag does not box. */
    static final class LongList {
        private long[] values = new long[1024];
        private int size;

        void add(long v) {
            if (size == values.length) values = Arrays.copyOf(values, size * 2);
            values[size++] = v;
        }

        long[] toArray() {
            return Arrays.copyOf(values, size);
        }

        long[] toSortedArray() {
            long[] copy = Arrays.copyOf(values, size);
            Arrays.sort(copy);
            return copy;
        }
    }
}
