package dev.jkvm.sched;

import dev.jkvm.bindings.Errno;
import dev.jkvm.bindings.NativeException;
import dev.jkvm.bindings.Syscalls;
import dev.jkvm.jfr.JkvmTimeline;
import dev.jkvm.jfr.timeline.TimelineThread;
import dev.jkvm.util.FaultInjection;
import dev.jkvm.util.HelperFailures;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Turns the kernel's context-switch records of every vCPU thread, and the privileged probes, into
 * JFR events in kernel time order. The parts: {@link PerfEvent}/{@link PerfRing} read the rings,
 * {@link TimeOrderer} merges them into one order, {@link VcpuAccount} keeps each vCPU's schedule,
 * {@link SwitchClassifier} says which vCPU KVM had loaded, {@link CpuHistory} says what ran before
 * and when the kernel switched, and {@link SwitchEventEmitter} writes the events. This class owns
 * the rings and the recorder thread, which runs off the experiment CPU.
 *
 * <p>Every ring is opened before the recorder starts ({@link #attach} from the thread that creates
 * the vCPU threads, before they run anything), so no ring can join late with old records. Rings are
 * drained one after another, so a record stamped just before a drain may only be seen in the next
 * one: records younger than {@link #HOLD_BACK_NANOS} at the start of a pass wait for a later pass.
 *
 * <p>The recorder thread asks for nice {@value #RECORDER_NICE} (needs CAP_SYS_NICE; the summary says
 * which it got): on the CPUs it shares with the JVM's compiler threads, the main thread and, at the
 * stop, every departing vCPU thread, each pass it waits for is commit lag.
 */
public final class SchedRecorder implements AutoCloseable {
    private static final long POLL_NANOS = 1_000_000;
    /**
     * 1 ms: a record is in its ring microseconds after its time stamp; the margin covers a CPU held up
     * between the two. 2 ms before (2026-11-27, 64 and 256 spin VMs on one CPU, 5 s, alternating): no
     * late record with either, commit lag p50 2.8 → 1.7-1.8 ms.
     */
    static final long HOLD_BACK_NANOS = 1_000_000;
    static final int RECORDER_NICE = -10;
    /** 64 KiB of records per vCPU thread: at ~48 bytes a record, seconds of switching at the fastest rate. */
    public static final int RING_PAGES = 16;

    /** One vCPU thread to record, as {@link #attach} was given it. */
    private record Attachment(VcpuId id, KvmRunTrace trace, boolean keepOffCpuIntervals, TimelineThread thread) {}

    /** One vCPU thread's ring and schedule. */
    private record Source(VcpuAccount account, PerfEvent event, JkvmTimeline.VcpuRef ref) {}

    /** A record waiting for its turn: a switch or a loss of a vCPU ring, or a probe sample or loss. */
    private record Item(Source source, SwitchRecord record, long lost, ProbeSource probe, ProbeSample sample) {}

    private final List<Source> sources = new ArrayList<>();
    /**
     * Each source's drain callback, made once when it is attached: a lambda made in every pass, for
     * every source, was 8 % of the JVM's allocation in a 2 s run of 256 VMs (JFR allocation samples;
     * about 3.5 MB/s at 1,000 passes a second), and Serial GC's young pauses of 26-65 ms there stop
     * the recorder too. Index i belongs to sources' index i.
     */
    private final List<PerfRing.RecordConsumer> drains = new ArrayList<>();
    private final Map<Integer, Source> byTid = new HashMap<>();
    private final List<ProbeSource> probes = new ArrayList<>();
    private final SwitchClassifier classifier = new SwitchClassifier();
    private final CpuHistory cpus = new CpuHistory();
    private final SwitchEventEmitter emitter;
    /** Where kernel-moment events go, at their time and on their vCPU's thread; null when not recording. */
    private final JkvmTimeline timeline;
    /** Commit lags of records stamped before the stop instant (all of them when the guests ended by themselves). */
    private final CommitLag lag = new CommitLag();
    /**
     * Commit lags of records stamped from the stop instant on: the last switches of every vCPU, made
     * while hundreds of threads leave the experiment CPU and exit. Nearly all are committed by the
     * running recorder, yet 66-147 ms late with 256 VMs (cause not found; not the final pass, not the
     * signalling thread's priority). Kept apart so the lag of the run itself stays visible.
     */
    private final CommitLag stopLag = new CommitLag();
    /** The run's one stop instant (CLOCK_MONOTONIC); Long.MAX_VALUE until the experiment stops its guests. */
    private volatile long stopInstant = Long.MAX_VALUE;
    private final TimeOrderer<Item> orderer = new TimeOrderer<>(new TimeOrderer.Sink<>() {
        @Override
        public void inOrder(long time, Item item) {
            process(item, false);
        }

        @Override
        public void late(long time, Item item, long behind) {
            process(item, true);
        }
    });
    private final PrintWriter notices;
    private final BitSet recorderCpus;
    private final Thread thread;
    private volatile boolean stopping;
    /** The nice value the recorder thread runs at: {@link #RECORDER_NICE}, or 0 when it may not raise its priority. */
    private volatile int recorderNice;
    private boolean started;
    private long switchRecords;
    private long probeRecords;
    private long lostRecords;
    /** The newest switch record's kernel time processed so far (for {@link #live}; written by the recorder thread only). */
    private volatile long processedUpTo;
    /** Whether KVM_RUN is known from kvm:kvm_fpu (kernel) rather than from the user-space trace. */
    private boolean kernelKvmRun;
    private long vmEntries;
    private String openFailure;
    /** Data pages of each vCPU's ring: {@link #RING_PAGES} unless the locked-memory budget holds fewer ({@link #planRings}). */
    private int ringPages = RING_PAGES;
    /** The vCPUs the rings were planned for ({@link #planRings}); 0 when not planned. */
    private int plannedRings;
    /** What {@link #attach} was asked for, kept so that every ring can be reopened smaller. */
    private final List<Attachment> attachments = new ArrayList<>();
    private final HelperFailures failures;
    /** Set once the recorder failed: nothing more is read, the summaries are still written. */
    private volatile boolean failed;
    private final FaultInjection.Point fault = FaultInjection.at("recorder");

    /**
     * @param recorderCpus where the recorder thread may run (the allowed CPUs minus the experiment
     *                     CPU); empty to leave it unpinned
     * @param failures     where a failure of the recorder is reported (the run goes on without it)
     */
    public SchedRecorder(PrintWriter notices, BitSet recorderCpus, JkvmTimeline timeline, HelperFailures failures) {
        this.notices = notices;
        this.failures = failures;
        this.timeline = timeline;
        this.emitter = new SwitchEventEmitter(timeline);
        this.recorderCpus = recorderCpus;
        this.thread = Thread.ofPlatform().name("jkvm-recorder").daemon(true).unstarted(this::loop);
    }

    /**
     * Opens context-switch recording of vCPU thread {@code id.tid()}. Call before {@link #start}, from
     * any thread of this process, before the vCPU thread is pinned to the experiment CPU or runs
     * its guest, so its whole life there is recorded. A failure is reported once, clearly, and the
     * run goes on without switch events.
     *
     * @param keepOffCpuIntervals keep this vCPU's off-CPU intervals for {@link #offCpuIntervals}
     * @param thread              the vCPU's Java thread, on whose lane its events are drawn
     */
    public void attach(VcpuId id, KvmRunTrace trace, boolean keepOffCpuIntervals, TimelineThread thread) {
        if (started) throw new IllegalStateException("attach " + id + " before the recorder starts");
        if (openFailure != null) return;
        Attachment a = new Attachment(id, trace, keepOffCpuIntervals, thread);
        attachments.add(a);
        try {
            open(a);
        } catch (RuntimeException e) {
            RuntimeException last = shrinkAndReopen(e);
            if (last == null) return;
            int recorded = sources.size();
            detachAll();
            String advice = isLockRefusal(last)
                    ? " (the perf rings exceed the memory this user may lock for them: " + PerfLockBudget.here().explanation()
                            + ", part of which other processes of this user may hold; raise ulimit -l, or run as root)"
                    : PerfPermissions.advice();
            refuse("cannot record vCPU sched-in/out: " + last.getMessage() + advice + (recorded == 0 ? ""
                    : "; the " + recorded + " vCPUs already attached are not recorded either: a record of only some vCPUs would misstate the schedule"));
        }
    }

    private void open(Attachment a) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = PerfAttributes.contextSwitches(arena);
            PerfEvent event = PerfEvent.open(attr, a.id().tid(), -1, ringPages, "switches of " + a.id());
            Source s = new Source(new VcpuAccount(a.id(), a.trace(), a.keepOffCpuIntervals()), event,
                    new JkvmTimeline.VcpuRef(a.id().vm(), a.id().vcpu(), a.id().tid(), a.thread()));
            sources.add(s);
            drains.add(drainInto(s));
            byTid.put(a.id().tid(), s);
        }
    }

    /** Whether the kernel refused a ring's mapping for want of lockable memory (perf_mmap's EPERM). */
    private static boolean isLockRefusal(RuntimeException e) {
        return e instanceof NativeException n && n.is(Errno.EPERM) && n.call().startsWith("mmap");
    }

    /**
     * After the kernel refused a ring for want of lockable memory, which {@link PerfLockBudget} could
     * not foresee (other processes of the user hold part of its per-user share): reopens every ring
     * so far with as many data pages as the rings mapped before the refusal show to be available,
     * halving until all of them fit. The vCPU threads wait at the gate meanwhile and have not run
     * on the experiment CPU, so reopened rings miss no switch there. Returns null when every attached
     * vCPU has its ring again, else the failure to report.
     */
    private RuntimeException shrinkAndReopen(RuntimeException refused) {
        RuntimeException e = refused;
        while (isLockRefusal(e) && ringPages > 1) {
            long available = sources.size() * PerfLockBudget.ringPages(ringPages) + ringPages; // the refused ring did not fit
            int rings = Math.max(plannedRings, attachments.size());
            int pages = new PerfLockBudget(available, "").dataPagesFor(rings, ringPages >> 1);
            if (pages == 0) return e;
            int before = ringPages;
            detachAll();
            ringPages = pages;
            try {
                for (Attachment a : attachments) open(a);
                notices.printf("jkvm: recorder: perf rings of %d data pages per vCPU instead of %d: the kernel refused more (%s)"
                                + " although this user may lock %s, so other processes of the user hold part of it; records that"
                                + " overflow a ring are counted as lost%n",
                        pages, before, e.getMessage(), PerfLockBudget.here().explanation());
                notices.flush();
                return null;
            } catch (RuntimeException again) {
                e = again;
            }
        }
        return e;
    }

    /**
     * Sizes the vCPU rings for {@code rings} vCPUs within what the kernel lets this process lock:
     * smaller rings when the 16 data pages each do not fit (they only need draining sooner: the
     * recorder drains every millisecond, and what overflows is counted as lost), none when not even
     * one data page each does. Call before the first {@link #attach}.
     */
    public void planRings(int rings, PerfLockBudget budget) {
        if (!sources.isEmpty()) throw new IllegalStateException("plan the rings before attaching any");
        plannedRings = rings;
        int pages = budget.dataPagesFor(rings, RING_PAGES);
        if (pages == 0) {
            refuse(String.format("cannot record vCPU sched-in/out: %d vCPUs' perf rings need at least %d KiB of locked memory"
                            + " (%d pages each), but this user may lock %s; raise ulimit -l, run as root, or run at most %d vCPUs",
                    rings, rings * PerfLockBudget.ringPages(1) * (PerfRing.PAGE >> 10), PerfLockBudget.ringPages(1), budget.explanation(),
                    budget.ringsOf(1)));
            return;
        }
        if (pages < RING_PAGES) {
            notices.printf("jkvm: recorder: perf rings of %d data pages per vCPU instead of %d, so that %d fit in the locked memory"
                            + " this user may have (%s); records that overflow a ring are counted as lost (raise ulimit -l for larger rings)%n",
                    pages, RING_PAGES, rings, budget.explanation());
            notices.flush();
        }
        ringPages = pages;
    }

    private void refuse(String why) {
        openFailure = why;
        notices.println("jkvm: " + why);
        notices.flush();
    }

    /** Closes every vCPU ring opened so far: the run goes on unrecorded rather than recorded for some vCPUs only. */
    private void detachAll() {
        for (Source s : sources) s.event().close();
        sources.clear();
        drains.clear();
        byTid.clear();
    }

    /** Adds a privileged kernel probe (kprobe or tracepoint) whose samples become events. Before {@link #start}. */
    public void addProbe(ProbeSource probe) {
        if (started) throw new IllegalStateException("add probes before the recorder starts");
        probes.add(probe);
    }

    public void start() {
        started = true;
        // The kernel's view of KVM_RUN is complete only when its tracepoint was open before any vCPU ran.
        kernelKvmRun = hasProbe(ProbeSource.Kind.KVM_FPU);
        SwitchEventEmitter.warmUp();
        KernelEvents.warmUp();
        thread.start();
    }

    /** The vCPU a TID belongs to, or null. */
    VcpuId vcpuOfTid(int tid) {
        Source s = byTid.get(tid);
        return s == null ? null : s.account().id;
    }

    /** The vCPU a TID belongs to, as the timeline names it, or null. */
    JkvmTimeline.VcpuRef refOfTid(int tid) {
        Source s = byTid.get(tid);
        return s == null ? null : s.ref();
    }

    /** Where kernel-moment events go; null when the run is not recorded. */
    JkvmTimeline timeline() {
        return timeline;
    }

    public boolean recordingSwitches() {
        return openFailure == null && !sources.isEmpty();
    }

    private void loop() {
        try {
            if (!recorderCpus.isEmpty()) Syscalls.setAffinity(Syscalls.gettid(), recorderCpus);
            raisePriority();
            while (!stopping) {
                fault.pass();
                pass(false);
                LockSupport.parkNanos(POLL_NANOS);
            }
        } catch (Throwable t) { // an Error included: the VMs go on, the recording says what it lacks
            failed(t);
        }
    }

    private void raisePriority() {
        try {
            Syscalls.setNice(Syscalls.gettid(), RECORDER_NICE);
            recorderNice = RECORDER_NICE;
        } catch (NativeException e) {
            // EACCES without CAP_SYS_NICE: the recorder runs at the JVM's nice, and the summary says so.
        }
    }

    private void failed(Throwable t) {
        failed = true;
        failures.failed("recorder", t, "switch events");
    }

    /** Whether the recorder failed and stopped reading (its line was printed, the summary says so). */
    public boolean failed() {
        return failed;
    }

    /** Stops the recorder thread, drains everything left and commits the summaries. Call after the vCPU threads ended. */
    public void stopAndFlush() throws InterruptedException {
        stopThread();
        awaitThreadsGone();
        try {
            if (!failed) pass(true); // after a failure the orderer's state is not to be trusted
            for (Source s : sources) emitter.summary(s.account());
        } catch (Throwable t) {
            failed(t);
        }
        emitter.recorderSummary(totals(), failures.all());
    }

    private void stopThread() throws InterruptedException {
        stopping = true;
        if (thread.isAlive()) thread.join();
    }

    /**
     * Thread.join returns while the native thread is still on its way out (JVM teardown, pthread
     * exit), and it can be switched out and in meanwhile; the kernel writes those records until the
     * task exits. Waiting until /proc no longer lists the task makes the final drain complete.
     */
    private void awaitThreadsGone() throws InterruptedException {
        long deadline = System.nanoTime() + 2_000_000_000L;
        for (Source s : sources) {
            Path task = Path.of("/proc/self/task", Integer.toString(s.account().id.tid()));
            while (Files.exists(task) && System.nanoTime() < deadline) Thread.sleep(1);
        }
    }

    private void pass(boolean flushAll) {
        // Anything stamped before this moment (less the margin) is in its ring by the time we drain it.
        long horizon = System.nanoTime() - HOLD_BACK_NANOS;
        for (int i = 0; i < sources.size(); i++) sources.get(i).event().drain(drains.get(i));
        for (ProbeSource p : probes) p.drain(this);
        if (flushAll) orderer.releaseAll();
        else orderer.release(horizon);
    }

    /** How {@code s}'s ring records reach the orderer. */
    private PerfRing.RecordConsumer drainInto(Source s) {
        return (type, misc, record) -> {
            if (type == SwitchRecord.TYPE) {
                SwitchRecord r = SwitchRecord.decode(misc, record);
                orderer.add(r.time(), new Item(s, r, 0, null, null));
            } else if (type == SwitchRecord.LOST) {
                orderer.add(SwitchRecord.lostTime(record), new Item(s, null, SwitchRecord.lostCount(record), null, null));
            }
        };
    }

    void probeSample(ProbeSource probe, ProbeSample sample) {
        orderer.add(sample.time(), new Item(null, null, 0, probe, sample));
    }

    /** The probe lost {@code count} records at {@code time}; 0: its ring was found full after its record then, and what follows may be lost. */
    void probeLost(ProbeSource probe, long time, long count) {
        orderer.add(time, new Item(null, null, count, probe, null));
    }

    private void process(Item item, boolean late) {
        if (item.probe() != null) {
            if (item.sample() == null) {
                if (item.lost() > 0) lost(item.probe().what(), item.lost());
                if (item.probe().kind() == ProbeSource.Kind.SCHED_SWITCH) cpus.tracepointLost();
                if (item.probe().kind() == ProbeSource.Kind.KVM_FPU) {
                    for (Source v : byTid.values()) v.account().kernelRecordsLost(); // each unknown until its next record
                }
                return;
            }
            probeRecords++;
            if (item.probe().kind() == ProbeSource.Kind.KVM_ENTRY) {
                vmEntry(item.sample());
                return;
            }
            if (item.probe().kind() == ProbeSource.Kind.KVM_FPU) {
                Source s = byTid.get(item.sample().tid());
                if (s != null && !late) s.account().kernelFpu(item.probe().fpuLoad(item.sample()));
                return;
            }
            if (item.probe().kind() == ProbeSource.Kind.SCHED_SWITCH) {
                CpuHistory.Switch sw = item.probe().decodeSwitch(item.sample());
                if (!late) cpus.tracepoint(item.sample().cpu(), sw);
            }
            item.probe().emit(item.sample(), this);
            return;
        }
        Source s = item.source();
        if (item.record() == null) {
            lost(s.event().what(), item.lost());
            s.account().gap();
            classifier.lostRecords();
            return;
        }
        switchRecords++;
        if (late) s.account().late++;
        switchRecord(s.account(), s.ref(), item.record(), late);
        recordLag(item.record().time());
        if (item.record().time() > processedUpTo) processedUpTo = item.record().time();
    }

    private void switchRecord(VcpuAccount a, JkvmTimeline.VcpuRef ref, SwitchRecord r, boolean late) {
        VcpuId id = a.id;
        int cpu = r.cpu();
        int state = kernelKvmRun ? a.kernelState(r.time()) : a.trace.stateAt(r.time());
        if (r.out()) {
            long tp = cpus.switchOutTime(cpu, id.tid(), r.time());
            long time = tp >= 0 ? tp : r.time();
            String source = tp >= 0 ? SwitchEventEmitter.TRACEPOINT : SwitchEventEmitter.PERF;
            if (late) {
                emitter.schedOut(ref, cpu, time, source, r.preempted(), state == KvmRunTrace.INSIDE, true, null, 0);
                return;
            }
            VcpuAccount.Slice slice = a.schedOut(time, cpu, r.preempted());
            a.reloadFrom = -1; // no VM entry in that slice: nothing to measure
            long sliceStart = slice.start() >= 0 ? slice.start() : r.time();
            int entered = kernelKvmRun ? a.kernelEntered(sliceStart, r.time()) : a.trace.insideDuring(sliceStart, r.time());
            classifier.sliceEnded(id, slice.cpu(), entered);
            cpus.vcpuOut(cpu, id.tid(), r.time());
            long exits = slice.start() >= 0 ? a.trace.leavesBetween(slice.start(), slice.end()) : KvmRunTrace.UNKNOWN;
            emitter.schedOut(ref, cpu, time, source, r.preempted(), state == KvmRunTrace.INSIDE, false, slice, exits);
        } else {
            long tp = cpus.switchInTime(cpu, id.tid(), r.time());
            long time = tp >= 0 ? tp : r.time();
            String source = tp >= 0 ? SwitchEventEmitter.TRACEPOINT : SwitchEventEmitter.PERF;
            if (late) {
                emitter.schedIn(ref, cpu, time, source, state == KvmRunTrace.INSIDE, true, null, "", 0, null, false, 0);
                return;
            }
            SwitchClassifier.Classified c = classifier.schedIn(id, cpu, state);
            a.enteredInSlice = false;
            a.unknownInSlice = a.kernelUnknown;
            VcpuAccount.Wait wait = a.schedIn(time, cpu, state == KvmRunTrace.INSIDE, c.switchClass());
            if (state == KvmRunTrace.INSIDE) {
                a.reloadFrom = time;
                a.reloadClass = c.switchClass();
            }
            boolean waitInKvmRun = wait.start() >= 0 && a.trace.stateAt(wait.start()) == KvmRunTrace.INSIDE;
            long waitExits = wait.start() >= 0 ? a.trace.leavesBetween(wait.start(), wait.end()) : KvmRunTrace.UNKNOWN;
            emitter.schedIn(ref, cpu, time, source, state == KvmRunTrace.INSIDE, false, c, cpus.ranBefore(cpu, id.tid(), r.time(), this::vcpuOfTid),
                    wait.start() >= 0 ? time - wait.start() : 0, wait, waitInKvmRun, waitExits);
        }
    }

    /** A VM entry: the first one after a sched-in inside KVM_RUN ends that sched-in's reload. */
    private void vmEntry(ProbeSample entry) {
        vmEntries++;
        Source s = byTid.get(entry.tid());
        if (s == null) return;
        VcpuAccount a = s.account();
        a.entries++;
        if (a.reloadFrom >= 0 && entry.time() >= a.reloadFrom) {
            emitter.reload(s.ref(), entry.cpu(), a.reloadFrom, a.reloadClass, entry.time() - a.reloadFrom);
            a.reloads++;
            a.reloadFrom = -1;
        }
    }

    /** Whether a probe of this kind was opened. */
    public boolean hasProbe(ProbeSource.Kind kind) {
        return probes.stream().anyMatch(p -> p.kind() == kind);
    }

    /** VM entries the kvm:kvm_entry tracepoint reported (0 where it is not recorded or never fires). */
    public long vmEntries() {
        return vmEntries;
    }

    private void lost(String what, long count) {
        lostRecords += count;
        emitter.lost(what, count);
        notices.println("jkvm: the kernel dropped " + count + " perf records of " + what + " (ring full); the recording has a gap there");
        notices.flush();
    }

    void recordLag(long kernelTime) {
        (kernelTime >= stopInstant ? stopLag : lag).add(System.nanoTime() - kernelTime);
    }

    /** The experiment's one stop instant (System.nanoTime): records stamped from then on count as the stop's. Any thread. */
    public void stopInstant(long nanos) {
        stopInstant = nanos;
    }

    /** The off-CPU intervals {out, in} of a VM's vCPU threads that keep them, in kernel time order. Call after {@link #stopAndFlush}. */
    public List<long[]> offCpuIntervals(String vm) {
        List<long[]> out = new ArrayList<>();
        for (Source s : sources) {
            if (!s.account().id.vm().equals(vm)) continue;
            long[] flat = s.account().offCpuIntervals();
            for (int i = 0; i + 1 < flat.length; i += 2) out.add(new long[] {flat[i], flat[i + 1]});
        }
        return out;
    }

    /** The recorder's counts so far, read while it works (for a status display: values may be a pass old). */
    public record Live(long switchRecords, long lostRecords, java.util.Map<String, Long> onCpu) {}

    public Live live() {
        java.util.Map<String, Long> onCpu = new java.util.HashMap<>();
        // An open slice counts up to the newest switch processed, not up to now: while the recorder
        // lags, a slice it sees open may have ended long ago (inside the sandbox, with a lag of a
        // second, two VMs on one CPU were shown 70 % and 77 %).
        long until = processedUpTo;
        for (Source s : sources) {
            VcpuAccount a = s.account();
            long open = a.openSliceStart();
            onCpu.merge(a.id.vm(), a.onCpu + (open >= 0 && open < until ? until - open : 0), Long::sum);
        }
        return new Live(switchRecords, lostRecords, onCpu);
    }

    /** What the recorder saw, for the run's summary line. */
    public record Totals(long switchRecords, long probeRecords, long lostRecords, long lateRecords, long lagP50, long lagP99, long lagMax,
                         long stopRecords, long stopLagP99, long stopLagMax, int recorderNice, int ringDataPages, String notRecorded) {}

    /** Call after {@link #stopAndFlush} (or from the recorder's own thread). */
    public Totals totals() {
        return new Totals(switchRecords, probeRecords, lostRecords, orderer.lateCount(), lag.percentile(0.5), lag.percentile(0.99), lag.max(),
                stopLag.count(), stopLag.percentile(0.99), stopLag.max(), recorderNice, recordingSwitches() ? ringPages : 0,
                openFailure == null ? "" : openFailure);
    }

    /** Stops and joins the recorder thread, then closes the rings: never unmaps a ring the thread may be reading. */
    @Override
    public void close() {
        try {
            stopThread();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            // Without the join the rings must stay mapped: the thread may still read them. Leak them.
            return;
        }
        for (Source s : sources) s.event().close();
        for (ProbeSource p : probes) p.close();
    }

    /** A growable array of primitive longs, so recording a value does not box. */
    static final class LongList {
        private long[] values = new long[64];
        private int size;

        void add(long v) {
            if (size == values.length) values = Arrays.copyOf(values, size * 2);
            values[size++] = v;
        }

        long[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
