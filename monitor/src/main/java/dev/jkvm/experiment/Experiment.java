package dev.jkvm.experiment;

import dev.jkvm.bindings.Syscalls;
import dev.jkvm.devices.SerialLog;
import dev.jkvm.guest.GuestManifest;
import dev.jkvm.host.HostFacts;
import dev.jkvm.host.RunHygiene;
import dev.jkvm.kvm.Kvm;
import dev.jkvm.kvm.KvmAvailability;
import dev.jkvm.sched.CpuPlacement;
import dev.jkvm.jfr.JfrSession;
import dev.jkvm.jfr.JkvmTimeline;
import dev.jkvm.sched.KernelProbes;
import dev.jkvm.sched.MonitorThreads;
import dev.jkvm.sched.PerfLockBudget;
import dev.jkvm.sched.SchedRecorder;
import dev.jkvm.sched.StrayTasks;
import dev.jkvm.sched.VcpuId;
import dev.jkvm.util.Durations;
import dev.jkvm.util.HelperFailures;
import dev.jkvm.util.UsageException;
import java.time.Duration;
import jdk.jfr.Recording;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Runs an {@link ExperimentSpec}: creates every VM, starts one pinned thread per vCPU, waits for
 * the guests to end or the duration to pass, stops what still runs, and reports. Everything it
 * opened is closed in order on every path: threads joined, then vCPUs, VMs, memory, /dev/kvm.
 */
public final class Experiment {
    private final ExperimentSpec spec;
    private final PrintWriter out;

    public Experiment(ExperimentSpec spec, PrintWriter out) {
        this.spec = spec;
        this.out = out;
    }

    private boolean statusLine;

    /** Whether standard output is a terminal, where {@link #withStatusLine} makes sense. */
    public static boolean outputIsTerminal() {
        return StatusLine.terminal();
    }

    /** Keeps a status line refreshed on {@code out} while the guests run (only sensible on a terminal). */
    public Experiment withStatusLine(boolean on) {
        this.statusLine = on;
        return this;
    }

    private String deadlineReason = "duration elapsed";

    /**
     * What the VMs' results say when the duration ends them: "duration elapsed" unless the duration
     * is another name's, as regress's {@code --timeout} for an experiment without {@code --duration}.
     */
    public Experiment withDeadlineReason(String reason) {
        this.deadlineReason = reason;
        return this;
    }

    private java.nio.file.Path serialDir;
    private long serialCap = SerialLog.DEFAULT_CAP;

    /**
     * Writes each VM's whole serial output to its own file in {@code dir} ({@code vm0.serial}, …), up
     * to {@code cap} bytes per VM (null: no files). Checked with {@link SerialLog#requireUsable} first.
     */
    public Experiment withSerialOut(java.nio.file.Path dir, long cap) {
        this.serialDir = dir;
        this.serialCap = cap;
        return this;
    }

    /** Checks everything a user can get wrong, before anything starts. */
    public static void validate(ExperimentSpec spec) {
        if (spec.vms().isEmpty()) throw new UsageException("an experiment needs at least one VM");
        spec.cpu().ifPresent(CpuPlacement::requireUsable);
        for (ExperimentSpec.VmSpec vm : spec.vms()) {
            if (vm.nice() != null && (vm.nice() < -20 || vm.nice() > 19)) {
                throw new UsageException("nice values go from -20 to 19, got " + vm.nice());
            }
            vm.guest().check("guest " + vm.guest().manifest().name(), vm.memory());
            if (vm.vcpus() < 1 || vm.vcpus() > GuestManifest.MAX_VCPUS) {
                throw new UsageException("a VM has 1 to " + GuestManifest.MAX_VCPUS + " vCPUs, got " + vm.vcpus());
            }
            if (vm.vcpus() > 1 && vm.guest().manifest().tickRing().isPresent()) {
                // Every vCPU would write the one ring, read as vCPU 0's ticks: latencies from other vCPUs' entries.
                throw new UsageException("guest " + vm.guest().manifest().name() + " keeps one tick ring, for one vCPU; run it with 1 vCPU, not "
                        + vm.vcpus() + " (more VMs: --vms)");
            }
            if (vm.vcpus() > 1 && vm.guest().manifest().apStart() == GuestManifest.ApStart.NONE) {
                throw new UsageException("guest " + vm.guest().manifest().name() + " runs on one vCPU (its manifest: ap-start = none), not "
                        + vm.vcpus() + " (more VMs: --vms)");
            }
        }
    }

    public ExperimentReport run() throws InterruptedException {
        long began = System.nanoTime();
        dev.jkvm.host.ProcessCpu cpuAtBegin = processCpu();
        validate(spec);
        HelperFailures failures = new HelperFailures(out);
        KvmAvailability.ensureUsable();
        List<VmInstance> vms = new ArrayList<>();
        StartGate gate = new StartGate();
        BitSet elsewhere = spec.cpu().isPresent() ? CpuPlacement.allowedExcept(spec.cpu().getAsInt()) : new BitSet();
        BitSet processCpus = CpuPlacement.allowed(); // taken before the monitor's threads are moved: the teardown may use them all
        if (spec.cpu().isPresent() && elsewhere.isEmpty()) {
            // Nothing to move the recorder, JIT and GC to: they run on the experiment CPU beside the guests (the hygiene line measures how much).
            out.println("jkvm: warning: CPU " + spec.cpu().getAsInt() + " is the only CPU this process may use (affinity/cpuset):"
                    + " jkvm's own threads (the recorder, the JIT, the GC) share it with the VMs; allow one more CPU to keep them off it");
            out.flush();
        }
        // KVM's statistics feed only the recording's jkvm.KvmStats events: without JFR in the process
        // (no --jfr) their two fds per VM, and reading their descriptors, are not made.
        boolean kvmStats = spec.jfr() != null || jdk.jfr.FlightRecorder.isInitialized();
        // Order matters: move the monitor's threads first, so every thread created from here on
        // (JFR's, the recorder, the vCPU threads until they are pinned) starts off the experiment CPU.
        try (MonitorThreads moved = MonitorThreads.moveAllTo(elsewhere);
             // Started before the VMs are created. Overlapping the two (JFR's start-up in a fresh JVM takes
             // about as long as creating 256 VMs) was measured side by side at 2.72 s against 2.82 s to the
             // gate (median of 8): within the rounds' spread, so not kept. (It was first withdrawn for a
             // StopSignalsKvmTest failure found later to be a first signal that beat the handlers: StopSignals.)
             Recording recording = JfrSession.start(spec.jfr(), spec.profile());
             Kvm kvm = Kvm.open();
             Arena arena = Arena.ofShared()) { // the VM creators read the CPUID table
            MemorySegment cpuid = kvm.supportedCpuid(arena);
            StatusLine status = statusLine ? new StatusLine(out, () -> stopRecorder.live(), VmInstance.names(spec.vms().size()),
                    spec.duration() == null ? 0 : spec.duration().toNanos(), failures) : null;
            PrintWriter serialOut = !spec.streamSerial() ? null : status != null ? status.above() : out;
            try (RunPathWarmup warmup = RunPathWarmup.startIfShared(kvm, spec)) {
                long creating = System.nanoTime();
                VmCreation.createAll(spec.vms().size(), VmCreation.CREATORS, processCpus, i -> {
                    ExperimentSpec.VmSpec vm = spec.vms().get(i);
                    return VmInstance.create(kvm, cpuid, i, vm.guest(), vm.memory(), vm.arg(), vm.vcpus(), serialOut, openSerialLog(i),
                            kvmStats);
                }, () -> stopRequest != null, vms);
                // Stopped before one VM was made: there is nothing to run, stop or record (the recording,
                // never dumped, is discarded as the try closes it).
                if (vms.isEmpty() && stopRequest != null) throw new StoppedBeforeAnyVm(stopRequest);
                setUp = new ExperimentReport.SetUp(began, System.nanoTime() - creating, null);
                warmup.await(() -> stopRequest != null); // before any vCPU thread or the recorder starts
            }
            try (JkvmTimeline timeline = recording == null ? null : JkvmTimeline.open(recording, spec.jfr());
                 SchedRecorder recorder = new SchedRecorder(out, elsewhere, timeline, failures)) {
                stopRecorder = recorder;
                if (recording != null) HostEvents.host(HostFacts.live(spec.cpu().orElse(0)), spec.cpu().orElse(-1));
                departure = new Departure(elsewhere);
                for (VmInstance vm : vms) vm.newThreads(gate, departure).forEach(VcpuThread::start);
                for (VmInstance vm : vms) for (VcpuThread t : vm.threads()) t.awaitReady();
                // Every vCPU thread now waits at the gate, off the experiment CPU: record it, then pin it,
                // so its whole life there is recorded and no ring is mapped while guests compete for the CPU.
                recorder.planRings(vms.stream().mapToInt(vm -> vm.vcpus().size()).sum(), PerfLockBudget.here());
                for (VmInstance vm : vms) for (VmVcpu v : vm.vcpus()) place(vm, v, recorder);
                // A stop requested before this point (a signal while starting) ends the run at the gate: no
                // kernel probes for it (opening the tracepoints took 30-75 ms of a stop's 1 s bound).
                if (spec.cpu().isPresent() && recording != null && stopRequest == null) KernelProbes.open(spec.cpu().getAsInt(), recorder, out);
                recorder.start();
                GuestSampler sampler = new GuestSampler(vms, failures);
                StrayTasks strays = new StrayTasks(spec.cpu(), elsewhere,
                        vms.stream().flatMap(v -> v.threads().stream()).mapToInt(VcpuThread::tid).toArray());
                TickSampler ticks = new TickSampler(vms, failures, timeline != null);
                LockSampler locks = new LockSampler(vms, failures, timeline != null);
                // periodic is null without JFR (try-with-resources skips a null resource)
                try (PeriodicEvents periodic = PeriodicEvents.register(vms, failures, timeline); sampler; ticks; locks) {
                    sampler.start();
                    ticks.start();
                    locks.start();
                    printThreadMap(vms);
                    // A timed run starts with room in its young generation: a young collection within the
                    // run (26-65 ms, once 4.7 s into a 5 s run when the set-up left eden half full) stops the
                    // recorder and holds every vCPU thread that returns from KVM_RUN meanwhile; a 256-VM run
                    // allocates a few MB/s. Emptied only where the heap holds much: the set-up now leaves
                    // 10-31 MiB of 365 in use, hello to 256 VMs. (System.gc() did it always, in 22-68 ms, and
                    // put JMC's System.gc() warning into every timed recording.)
                    if (spec.duration() != null) YoungGeneration.emptyIfFull();
                    hygiene = spec.cpu().isPresent() ? HygieneMeter.begin(spec.cpu().getAsInt(), runTimeAtGate(vms), elsewhere) : null;
                    synchronized (stopLock) {
                        running = vms;
                    }
                    urgent = new UrgentSignalling(); // this thread stops the run when its duration ends
                    departure.whileSignalling(new StopSignals(List.of(), "", urgent)); // loads the stop's code now, not at the stop
                    dev.jkvm.host.ProcessCpu cpuAtGate = processCpu();
                    if (cpuAtBegin != null && cpuAtGate != null) setUp = setUp.withCpu(cpuAtGate.minus(cpuAtBegin));
                    long opened = gate.open();
                    long stopAt;
                    try {
                        stopAt = awaitEnd(vms, opened, strays, status);
                    } finally {
                        if (status != null) status.clear();
                    }
                    window = new RunWindow(opened, gate.releasedNanos(), stopAt);
                }
                strays.sweep();
                strays.report(out);
                RunHygiene measured = reportHygiene(vms);
                recorder.stopAndFlush();
                noteReloadLatency(recorder);
                sampler.finish(recorder::offCpuIntervals, timeline);
                for (String w : sampler.warnings()) out.println(w);
                ticks.finish(out, timeline);
                locks.finish(out, timeline);
                ExperimentReport report = report(vms).withHelperFailures(failures.all()).withSetUp(setUp);
                printSerialLogs(vms);
                LifecycleEvents.vmEnds(report);
                printRecorderTotals(recorder, measured);
                // Nothing reads a VM or the recorder's rings from here on: they are closed while the recording is written.
                synchronized (stopLock) {
                    running = null; // a late signal must not touch a vCPU being closed
                }
                List<AutoCloseable> done = new ArrayList<>();
                done.add(recorder); // first: one closer takes its rings (one per vCPU) while the others take the VMs
                done.addAll(vms);
                Teardown teardown = Teardown.start(done, processCpus);
                try {
                    if (recording != null) {
                        timeline.beforeRecordingStops();
                        try {
                            JfrSession.write(recording, timeline, spec.jfr(), out);
                        } catch (JfrSession.NotWritten e) {
                            return report.withRecordingProblem(e.getMessage()); // the summary is still printed
                        }
                    }
                    return report;
                } finally {
                    teardown.await(); // before the recorder's owner below closes it again (then a no-op)
                }
            }
        } finally {
            gate.abort(); // threads still at the gate (a failure while setting up) end without running
            synchronized (stopLock) {
                running = null; // a late signal must not touch a vCPU being closed
            }
            stopAll(vms, departure, "monitor shutting down");
            for (VmInstance vm : vms) vm.close(); // closes only what the teardown did not (it never started on a failure)
        }
    }

    /** The process's CPU time so far, or null when getrusage fails (the set-up's CPU is then not reported). */
    private static dev.jkvm.host.ProcessCpu processCpu() {
        try {
            return dev.jkvm.host.ProcessCpu.now();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private SerialLog openSerialLog(int index) {
        if (serialDir == null) return null;
        java.nio.file.Path file = SerialLog.fileOf(serialDir, VmInstance.nameOf(index));
        try {
            return SerialLog.open(file, serialCap);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create the serial output file " + file + ": " + dev.jkvm.util.IoErrors.reason(e), e);
        }
    }

    /** Where the serial output files are, and one line per VM whose file is not its whole output. */
    private void printSerialLogs(List<VmInstance> vms) {
        if (serialDir == null) return;
        out.printf("jkvm: serial output of %d VM%s in %s (vmN.serial, at most %s each)%n", vms.size(), vms.size() == 1 ? "" : "s",
                serialDir, dev.jkvm.util.Sizes.format(serialCap));
        for (VmInstance vm : vms) {
            String problem = vm.serial().log().problem(vm.name());
            if (problem != null) out.println(problem);
        }
        out.flush();
    }

    /** A stop was requested while the VMs were being made, before the first one was: nothing ran, nothing is recorded. */
    public static final class StoppedBeforeAnyVm extends RuntimeException {
        StoppedBeforeAnyVm(String why) {
            super(why);
        }
    }

    /** When every VM's guest could run: from the gate's opening to the one stop instant (0: the guests ended themselves). */
    private record RunWindow(long opened, long released, long stopAt) {}

    private RunWindow window;
    private ExperimentReport.SetUp setUp = ExperimentReport.SetUp.UNKNOWN;
    private HygieneMeter hygiene;

    /** The vCPU threads' run time so far, each as read by itself at the gate (they wait there, running no more). */
    private static long runTimeAtGate(List<VmInstance> vms) {
        long run = 0;
        for (VmInstance vm : vms) for (VcpuThread t : vm.threads()) run += Math.max(0, t.runTimeAtGate());
        return run;
    }

    /**
     * Ends the run hygiene measurement (every vCPU thread has ended by now), records it and says in
     * one line whether the experiment CPU was the VMs' alone. Returns it; null without --cpu.
     */
    private RunHygiene reportHygiene(List<VmInstance> vms) {
        if (hygiene == null) return null;
        long runAtEnd = 0;
        for (VmInstance vm : vms) for (VcpuThread t : vm.threads()) runAtEnd += Math.max(0, t.runTimeAtEnd());
        RunHygiene h = hygiene.end(runAtEnd);
        if (h == null) return null;
        HostEvents.hygiene(h);
        out.println(h.line());
        out.flush();
        return h;
    }
    private volatile String stopRequest;

    /**
     * Ends the experiment early, as if its duration had passed now: every VM is stopped at one
     * instant and the run ends normally (events, summaries, recording). Safe from any thread (a
     * signal handler's); before the start it makes the run stop as soon as it starts.
     */
    public void requestStop(String why) {
        if (stopRequest == null) stopRequest = why;
        // Once the guests run, stop them from the caller's thread (a signal handler's, already awake):
        // handing the stop to the waiting thread costs a wake-up on a CPU that may be busy (measured:
        // up to 117 ms on this 2-CPU host while other builds ran). The waiting thread then only joins.
        synchronized (stopLock) { // never while the VMs are being closed: see run's finally
            if (running != null) stopNow(running, why);
        }
        Thread w = waiter;
        if (w != null) java.util.concurrent.locks.LockSupport.unpark(w);
    }

    /** The thread in {@link #awaitEnd}, woken by {@link #requestStop}. */
    private volatile Thread waiter;
    /** The VMs from the gate's opening until they are closed (the list no longer changes), for {@link #requestStop}. */
    private List<VmInstance> running;
    /** How the vCPU threads leave the experiment CPU; set before they start (no CPUs to go to until then). */
    private volatile Departure departure = new Departure(new BitSet());
    /** How the stop's signalling runs; made by the thread that waits for the run's end, before the gate opens. */
    private volatile UrgentSignalling urgent = new UrgentSignalling();
    private final Object stopLock = new Object();
    /** The one stop instant, taken by whichever thread stops the VMs first (0: not yet). */
    private final java.util.concurrent.atomic.AtomicLong stoppedAt = new java.util.concurrent.atomic.AtomicLong();
    /** The run's recorder, told the stop instant by whichever thread takes it. */
    private volatile SchedRecorder stopRecorder;

    private void place(VmInstance vm, VmVcpu vcpu, SchedRecorder recorder) {
        ExperimentSpec.VmSpec s = spec.vms().get(vm.index());
        VcpuThread thread = vcpu.thread();
        int tid = thread.tid();
        recorder.attach(new VcpuId(vm.name(), vcpu.index(), tid), vcpu.trace(),
                vcpu.index() == 0 && vm.guest().manifest().tscRing().isPresent(),
                thread.timelineThread());
        spec.cpu().ifPresent(cpu -> {
            BitSet only = new BitSet();
            only.set(cpu);
            Syscalls.setAffinity(tid, only);
        });
        if (s.nice() != null) Syscalls.setNice(tid, s.nice());
        if (vcpu.index() == 0) LifecycleEvents.vmStart(vm.name(), s, tid, spec.cpu().orElse(-1));
    }

    /** Says in one line when the host could not show the reload latency (kvm:kvm_entry never fired). */
    private void noteReloadLatency(SchedRecorder recorder) {
        if (recorder.hasProbe(dev.jkvm.sched.ProbeSource.Kind.KVM_ENTRY) && recorder.vmEntries() == 0) {
            out.println("jkvm: vCPU reload latency not measured: kvm:kvm_entry never fired on this host (KVM vendor module "
                    + KvmAvailability.vendorModules() + "); it does on VMX and SVM hosts");
            out.flush();
        }
    }

    /** The recorder's line; {@code measured} (null without --cpu) gives the steal on the recorder's CPUs. */
    private void printRecorderTotals(SchedRecorder recorder, RunHygiene measured) {
        if (!recorder.recordingSwitches()) return;
        SchedRecorder.Totals t = recorder.totals();
        String stop = t.stopRecords() == 0 ? "" : String.format("; the stop's %d records: p99 %s, max %s", t.stopRecords(),
                Durations.format(Duration.ofNanos(t.stopLagP99())), Durations.format(Duration.ofNanos(t.stopLagMax())));
        String steal = measured == null || measured.monitorStealNanos() <= 0 ? ""
                : String.format("; the machine below took %s from the recorder's CPUs %s (steal)",
                        Durations.format(Duration.ofNanos(measured.monitorStealNanos())), measured.monitorCpus());
        String nice = t.recorderNice() != 0 ? "; recorder thread at nice " + t.recorderNice()
                : "; recorder thread at nice 0 (raising its priority needs CAP_SYS_NICE: the lag can be longer)";
        out.printf("jkvm: recorder: %d switch records, %d probe records, %d lost; commit lag p50 %s, p99 %s, max %s%s%s%s%n",
                t.switchRecords(), t.probeRecords(), t.lostRecords(), Durations.format(Duration.ofNanos(t.lagP50())),
                Durations.format(Duration.ofNanos(t.lagP99())), Durations.format(Duration.ofNanos(t.lagMax())), stop, steal, nice);
        out.flush();
    }

    private void printThreadMap(List<VmInstance> vms) {
        String where = spec.cpu().isPresent() ? "pinned to CPU " + spec.cpu().getAsInt() : "not pinned";
        // Built with a StringBuilder, not a printf a line: 256 printfs took 0.1 s of the set-up in a fresh JVM.
        StringBuilder map = new StringBuilder().append("jkvm: ").append(vms.size()).append(vms.size() == 1 ? " VM" : " VMs")
                .append(", vCPU threads ").append(where).append(System.lineSeparator());
        for (VmInstance vm : vms) {
            ExperimentSpec.VmSpec s = spec.vms().get(vm.index());
            GuestManifest m = s.guest().manifest();
            for (VmVcpu v : vm.vcpus()) {
                map.append("jkvm: ").append(v.name()).append(' ').append(m.name()).append(" (").append(m.mode().displayName()).append(" mode, ")
                        .append(s.memory() >> 10).append(" KiB): vCPU ").append(v.index()).append(" → thread ").append(v.thread().name())
                        .append(", TID ").append(v.thread().tid());
                if (s.nice() != null) map.append(", nice ").append(s.nice());
                if (v.index() != 0 && vm.vcpus().size() != 1) {
                    map.append(", ").append(m.apStart() == GuestManifest.ApStart.SIPI ? "waits for INIT/SIPI" : "starts at the entry");
                }
                map.append(System.lineSeparator());
            }
        }
        out.print(map);
        out.flush();
    }

    /**
     * Waits until every guest ended, the duration passed or a stop was requested; then stops every
     * VM still running at one instant and returns it (0 when all guests ended by themselves).
     */
    private long awaitEnd(List<VmInstance> vms, long opened, StrayTasks strays, StatusLine status) throws InterruptedException {
        long deadline = spec.duration() == null ? Long.MAX_VALUE : opened + spec.duration().toNanos();
        long nextSweep = opened + STRAY_SWEEP_NANOS;
        long nextStatus = opened + StatusLine.PERIOD_NANOS;
        waiter = Thread.currentThread();
        while (true) {
            if (vms.stream().noneMatch(VmInstance::anyThreadAlive)) return 0;
            long now = System.nanoTime();
            String why = now >= deadline ? deadlineReason : stopRequest;
            if (why != null) return stopAndJoin(vms, why);
            if (now >= nextSweep) {
                strays.sweep();
                if (hygiene != null) hygiene.sample();
                nextSweep = now + STRAY_SWEEP_NANOS;
            }
            if (status != null && now >= nextStatus) {
                status.update(opened, now);
                nextStatus = now + StatusLine.PERIOD_NANOS;
            }
            // Short sleeps while guests may end by themselves; the last one lands on the deadline.
            java.util.concurrent.locks.LockSupport.parkNanos(Math.min(deadline - now, 10_000_000));
        }
    }

    private static final long STRAY_SWEEP_NANOS = 100_000_000;

    /**
     * Stops every VM at one instant: first no vCPU may enter its guest again (immediate_exit), then
     * every thread is signalled so a guest running now leaves it; only then the threads are joined.
     * Returns the instant. Stopping them one by one would let the rest run on meanwhile.
     */
    private long stopAll(List<VmInstance> vms, Departure departure, String why) throws InterruptedException {
        List<VcpuThread> running = new ArrayList<>();
        for (VmInstance vm : vms) {
            for (VcpuThread t : vm.threads()) if (t.isAlive()) running.add(t);
        }
        long at = System.nanoTime();
        departure.whileSignalling(new StopSignals(running, why, urgent));
        for (VcpuThread t : running) t.stopAndJoin(why); // after the signalling: the threads leave only then
        return at;
    }

    /**
     * The stop's signalling: immediate_exit for every thread first, then a signal to each, at the
     * stopping thread's highest allowed priority. A class, not a lambda: a lambda's call site is
     * linked at its first use: from the stop instant to the first signal took 2.2-14 ms in 7 runs
     * with lambdas and 0.8-1.2 ms in 5 runs with this class (64 VMs, half of them with two busy loops on
     * CPU 0, 2026-11-27, tracefs signal_generate). One is run with no threads before the gate opens.
     */
    private record StopSignals(List<VcpuThread> threads, String why, UrgentSignalling urgent) implements Runnable {
        @Override
        public void run() {
            urgent.run(this::signal);
        }

        private void signal() {
            for (VcpuThread t : threads) t.requestStop(why);
            for (VcpuThread t : threads) t.interrupt();
        }
    }

    /** {@link #stopAll} at the instant {@link #stopNow} took, whichever thread took it first. */
    private long stopAndJoin(List<VmInstance> vms, String why) throws InterruptedException {
        long at = stopNow(vms, why);
        stopAll(vms, departure, why);
        return at;
    }

    /** The first half of {@link #stopAll}, safe from any thread: no guest enters again, every running one is kicked out. Returns the one stop instant. */
    private long stopNow(List<VmInstance> vms, String why) {
        long now = System.nanoTime();
        if (!stoppedAt.compareAndSet(0, now)) return stoppedAt.get();
        SchedRecorder r = stopRecorder;
        if (r != null) r.stopInstant(now); // its records from now on are the stop's
        List<VcpuThread> all = new ArrayList<>();
        for (VmInstance vm : vms) all.addAll(vm.threads());
        departure.whileSignalling(new StopSignals(all, why, urgent));
        return now;
    }

    /**
     * How long a VM's guest could run: from the gate's opening to the common stop instant, or to its
     * thread's end when the guest ended first. The same for every VM that ran until the stop.
     */
    private long runNanos(VcpuThread t) {
        if (t.startNanos() == 0) return 0;
        long end = t.endNanos();
        if (window.stopAt() != 0 && window.stopAt() < end) end = window.stopAt();
        return Math.max(0, end - window.opened()); // 0 for a run stopped before its gate opened
    }

    private ExperimentReport report(List<VmInstance> vms) {
        List<VmReport> reports = new ArrayList<>();
        for (VmInstance vm : vms) {
            vm.serial().finish();
            VcpuThread t = vm.deciding().thread();
            Long counter = vm.guest().manifest().counter().isPresent()
                    ? vm.memory().readLong(vm.guest().manifest().counter().getAsLong()) : null;
            List<VcpuReport> vcpus = new ArrayList<>();
            for (VmVcpu v : vm.vcpus()) {
                VcpuThread vt = v.thread();
                vcpus.add(new VcpuReport(v.name(), v.index(), vt.name(), vt.tid(), vt.result(), v.stats(), runNanos(vt), vt.endNanos(),
                        vt.loopAllocatedBytes()));
            }
            reports.add(new VmReport(vm.name(), vm.guest().manifest().name(), t.name(), t.tid(), vm.result(), vm.stats(),
                    vm.serial().text(), vm.ping().pings(), vm.handler().ports().unknownReads(),
                    vm.handler().ports().unknownWrites(), vm.handler().mmioReads(), vm.handler().mmioWrites(),
                    runNanos(t), t.endNanos(), t.loopAllocatedBytes(), counter, vcpus,
                    vm.linuxWatch() == null ? null : vm.linuxWatch().steal()));
        }
        return new ExperimentReport(reports, window.opened(), window.released(), window.stopAt());
    }
}
