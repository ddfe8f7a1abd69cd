package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.bindings.Syscalls;
import dev.jkvm.experiment.Experiment;
import dev.jkvm.experiment.ExperimentReport;
import dev.jkvm.experiment.ExperimentSpec;
import dev.jkvm.experiment.VmReport;
import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 4's acceptance: spin VMs time-sharing one CPU, recorded into JFR, checked against the
 * kernel's own sched:sched_switch captured independently through tracefs in the same run.
 * Needs root (tracefs); runs natively as root or inside the sandbox.
 */
@Tag("kvm")
@Tag("privileged")
class SchedRecordingKvmTest {
    /** The experiment CPU: the highest allowed one, so CPU 0 keeps the rest of the machine. */
    static int experimentCpu() {
        BitSet allowed = CpuPlacement.allowed();
        return allowed.length() - 1;
    }

    /** @param sleepStacks the kernel stack a switch's outgoing task slept from (null: it was preempted) */
    record Run(ExperimentReport report, Path jfr, List<TraceFsCapture.Switch> kernel, List<TraceFsCapture.KvmFpu> fpu,
               Map<String, BitSet> affinities, String out, java.util.function.Function<TraceFsCapture.Switch, String> sleepStacks) {}

    static Run runSpins(int vms, Duration d, Map<Integer, Integer> nice, Path dir) throws Exception {
        int cpu = experimentCpu();
        GuestImage spin = GuestCatalog.resolve("spin");
        List<ExperimentSpec.VmSpec> specs = new ArrayList<>();
        for (int i = 0; i < vms; i++) specs.add(new ExperimentSpec.VmSpec(spin, spin.manifest().memory(), 0, nice.get(i)));
        Files.createDirectories(dir);
        Path jfr = dir.resolve("run.jfr");
        StringWriter out = new StringWriter();
        ExperimentSpec spec = new ExperimentSpec(specs, d, OptionalInt.of(cpu), jfr, "jkvm-sched", false);
        Map<String, BitSet> affinities = new ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        boolean fpu = Files.isDirectory(TraceFsCapture.TRACEFS.resolve("events/kvm/kvm_fpu")) || !Files.isDirectory(TraceFsCapture.TRACEFS.resolve("events"));
        try (TraceFsCapture trace = TraceFsCapture.start(cpu, fpu && Files.isDirectory(TraceFsCapture.TRACEFS.resolve("events/kvm/kvm_fpu")))) {
            Thread watcher = Thread.ofPlatform().daemon(true).start(() -> readVcpuAffinities(cpu, affinities, done));
            ExperimentReport report;
            try {
                report = new Experiment(spec, new PrintWriter(out)).run();
            } finally {
                done.set(true);
            }
            watcher.join();
            List<TraceFsCapture.Switch> kernel = trace.stop();
            return new Run(report, jfr, kernel, trace.kvmFpu(), affinities, out.toString(), trace::sleepStack);
        }
    }

    /** While the run goes on, reads every vCPU thread's affinity back from the kernel. */
    static void readVcpuAffinities(int cpu, Map<String, BitSet> into, java.util.concurrent.atomic.AtomicBoolean done) {
        // A vCPU thread has its name before it pins itself, so keep reading until the run ends: the last
        // value read is the one the thread ran with (set-up can take seconds inside the sandbox).
        while (!done.get()) {
            try (var tasks = Files.list(Path.of("/proc/self/task"))) {
                for (Path t : tasks.toList()) {
                    String comm = Files.readString(t.resolve("comm")).strip();
                    if (!comm.startsWith("vcpu-vm")) continue;
                    // Keep the mask the thread ran its guest with: it starts elsewhere (waiting at the
                    // start gate) and moves itself off the experiment CPU when its loop ends.
                    BitSet mask = Syscalls.getAffinity(Integer.parseInt(t.getFileName().toString()));
                    if (mask.get(cpu) || !into.containsKey(comm)) into.put(comm, mask);
                }
                Thread.sleep(20);
            } catch (Exception e) {
                // A task can vanish between list and read; try again.
            }
        }
    }

    /**
     * Issue 7's acceptance: over each vCPU thread's whole life on the experiment CPU (no alignment to
     * jkvm's first record), jkvm's sched-in/out events and the kernel's sched_switch lines are the
     * same sequence (recall and precision 1.0), nothing was committed late, and every switch class
     * equals the one reconstructed from the kernel's own lines: sched_switch for who ran, kvm_fpu
     * (loaded at every KVM_RUN entry right after vcpu_load, put back at its end) for when each thread
     * was inside KVM_RUN.
     */
    @ParameterizedTest(name = "{0} spin VMs on one CPU")
    @ValueSource(ints = {2, 4, 64})
    void everySwitchOfEveryVcpuIsRecordedExactlyOnce(int vms, @TempDir Path dir) throws Exception {
        int cpu = experimentCpu();
        Run run = runSpins(vms, Duration.ofSeconds(3), Map.of(), dir);

        // Affinity of every vCPU thread is exactly {cpu} while it runs, as the kernel reports it.
        assertEquals(vms, run.affinities().size(), "vCPU threads seen: " + run.affinities().keySet());
        BitSet only = new BitSet();
        only.set(cpu);
        run.affinities().forEach((name, mask) -> assertEquals(only, mask, name));

        List<RecordedEvent> ins = Recordings.events(run.jfr(), "jkvm.VcpuSchedIn");
        List<RecordedEvent> outs = Recordings.events(run.jfr(), "jkvm.VcpuSchedOut");
        List<RecordedEvent> classified = ins; // each sched-in carries its class
        RecordedEvent summary = Recordings.events(run.jfr(), "jkvm.RecorderSummary").get(0);
        assertEquals(0, summary.getLong("lostRecords"), "perf records were lost");
        assertEquals(0, summary.getLong("lateRecords"), "records were committed out of kernel time order");
        // The stop's records, whose lag is given apart: at least every switch of a vCPU thread the kernel
        // made on this CPU from the stop instant on (one perf record each), and more than none.
        long stop = run.report().stoppedNanos();
        java.util.Set<Integer> tids = new java.util.HashSet<>();
        for (VmReport vm : run.report().vms()) tids.add(vm.tid());
        long kernelAfterStop = run.kernel().stream().filter(k -> k.cpu() == cpu && k.timeNanos() >= stop)
                .mapToLong(k -> (tids.contains(k.prevPid()) ? 1 : 0) + (tids.contains(k.nextPid()) ? 1 : 0)).sum();
        assertTrue(stop > 0 && kernelAfterStop > 0, "no vCPU switch on CPU " + cpu + " after the stop instant " + stop);
        assertTrue(summary.getLong("stopRecords") >= kernelAfterStop, "stop records " + summary.getLong("stopRecords")
                + " < the kernel's " + kernelAfterStop + " vCPU switches after the stop instant");
        assertTrue(summary.getLong("stopRecords") < summary.getLong("switchRecords") + summary.getLong("probeRecords"));

        Map<Integer, String> names = new HashMap<>();
        for (VmReport vm : run.report().vms()) names.put(vm.tid(), vm.name());
        Map<Long, String> expectedClass = KernelClasses.reconstruct(run.kernel(), run.fpu(), names.keySet());
        boolean haveFpu = !run.fpu().isEmpty();

        List<Long> offsets = new ArrayList<>();
        int implied = 0, classesChecked = 0;
        for (VmReport vm : run.report().vms()) {
            int tid = vm.tid();
            List<RecordedEvent> mine = new ArrayList<>();
            ins.stream().filter(e -> e.getInt("tid") == tid && e.getInt("cpu") == cpu).forEach(mine::add);
            outs.stream().filter(e -> e.getInt("tid") == tid && e.getInt("cpu") == cpu).forEach(mine::add);
            mine.sort((a, b) -> Long.compare(a.getLong("monotonicNanos"), b.getLong("monotonicNanos")));
            // The kernel's view of the same thread on this CPU, its whole life: every sched_switch naming it.
            List<TraceFsCapture.Switch> theirs = new ArrayList<>();
            List<Boolean> theirsIn = new ArrayList<>();
            for (TraceFsCapture.Switch s : run.kernel()) {
                if (s.prevPid() == tid) { theirs.add(s); theirsIn.add(false); }
                if (s.nextPid() == tid) { theirs.add(s); theirsIn.add(true); }
            }
            assertTrue(mine.size() > 2, vm.name() + " has only " + mine.size() + " switch events on CPU " + cpu);
            if (mine.size() != theirs.size()) {
                throw new AssertionError(vm.name() + ": sched_switch names the thread " + theirs.size() + " times on CPU " + cpu
                        + ", jkvm recorded " + mine.size() + " switches there" + context(mine, theirs, theirsIn));
            }
            for (int i = 0; i < mine.size(); i++) {
                RecordedEvent e = mine.get(i);
                TraceFsCapture.Switch k = theirs.get(i);
                boolean isIn = e.getEventType().getName().equals("jkvm.VcpuSchedIn");
                if (theirsIn.get(i) != isIn) {
                    throw new AssertionError(vm.name() + " switch " + i + ": direction differs from the tracepoint" + context(mine, theirs, theirsIn));
                }
                if (!isIn && !k.implied()) {
                    assertEquals(k.prevState().startsWith("R"), e.getBoolean("preempted"), vm.name() + " switch " + i + ": preempted differs from prev_state " + k.prevState());
                }
                long t = e.getLong("monotonicNanos");
                if (k.implied()) {
                    assertTrue(t >= k.earliestNanos() && t <= k.timeNanos() + 1_000, vm.name() + " switch " + i + " at " + t
                            + " is outside its implied window [" + k.earliestNanos() + ", " + k.timeNanos() + "]");
                    implied++;
                } else {
                    long offset = Math.abs(t - k.timeNanos());
                    assertTrue(offset < 20_000_000, vm.name() + " switch " + i + " is " + offset + " ns from its tracepoint");
                    offsets.add(offset);
                }
                if (isIn && haveFpu) {
                    long key = KernelClasses.key(tid, k.timeNanos());
                    RecordedEvent c = classified.stream().filter(w -> w.getInt("tid") == tid && w.getLong("monotonicNanos") == t).findFirst()
                            .orElseThrow(() -> new AssertionError(vm.name() + ": no classified sched-in at " + t));
                    if (!c.getString("switchClass").equals(expectedClass.get(key))) {
                        StringBuilder near = new StringBuilder();
                        for (TraceFsCapture.Switch x : run.kernel()) if (Math.abs(x.timeNanos() - t) < 8_000_000) near.append("\n  ").append(x);
                        for (TraceFsCapture.KvmFpu x : run.fpu()) if (Math.abs(x.timeNanos() - t) < 8_000_000) near.append("\n  ").append(x);
                        for (RecordedEvent x : classified) if (Math.abs(x.getLong("monotonicNanos") - t) < 8_000_000)
                            near.append("\n  jkvm ").append(x.getInt("tid")).append(" ").append(x.getLong("monotonicNanos")).append(" ").append(x.getString("switchClass"))
                                    .append(" loaded ").append(x.getString("fromVm")).append(" before ").append(x.getString("ranBefore"));
                        throw new AssertionError(vm.name() + " sched-in " + i + " at " + t + ": kernel says " + expectedClass.get(key) + ", jkvm "
                                + c.getString("switchClass") + near);
                    }
                    classesChecked++;
                }
            }
        }
        offsets.sort(Long::compare);
        long p50 = offsets.get(offsets.size() / 2), p99 = offsets.get((int) (offsets.size() * 0.99)), max = offsets.get(offsets.size() - 1);
        System.out.printf("[%d VMs] %d switches matched 1:1 over the threads' whole life on CPU %d (%d implied by the tracepoint"
                + " sequence); %d switch classes equal the kernel's; |jkvm - tracepoint| p50 %d ns, p99 %d ns, max %d ns%n",
                vms, offsets.size() + implied, cpu, implied, classesChecked, p50, p99, max);
        if (!haveFpu) System.out.println("[" + vms + " VMs] kvm:kvm_fpu is not available here: switch classes not checked");
        // Where jkvm records the sched_switch tracepoint itself (root), its times are the kernel's; tracefs
        // prints microseconds. Otherwise the perf record's time, a few microseconds after the switch.
        // Natively the bound holds for the 99th percentile. Under the sandbox's single-threaded TCG one QEMU
        // thread emulates every CPU in turn, so the CPU that wrote the tracepoint can be left waiting before
        // it writes the perf record for as long as QEMU runs the other one (p99 0.24-0.30 ms twice, 3.7 ms
        // once): emulation can promise the typical pair and each pair within the 20 ms bound, not a tail.
        if (System.getenv("JKVM_INSIDE_SANDBOX") == null) {
            assertTrue(p99 < 1_000_000, "jkvm and tracepoint timestamps differ too much: p99 " + p99 + " ns");
        } else {
            assertTrue(p50 < 1_000_000, "jkvm and tracepoint timestamps differ too much under emulation: p50 " + p50 + " ns");
        }
    }

    /**
     * Issue 13's mechanism, checked with the kernel's lines (sched_switch for who is on the CPU,
     * kvm_fpu for who is inside KVM_RUN). Start: nothing of a vCPU thread runs on the experiment CPU
     * before the gate opens, and no thread blocks between the gate and its first KVM_RUN (each enters
     * it in its first slice there; the spread of the first entries is then the scheduler's, printed).
     * Stop: after the one stop instant every vCPU thread leaves KVM_RUN within its first slices there
     * (a stop one VM at a time would let the others run slice after slice), within a tick or two (how
     * soon a pending signal takes a resumed guest out is the host's: on kvm_pvm a preempted guest runs
     * on until the next tick, measured 4 ms), so every VM's run time is the same.
     */
    @org.junit.jupiter.api.Test
    void sixtyFourVmsStartTogetherAndStopAtOneInstant(@TempDir Path dir) throws Exception {
        JvmPauses jvm = JvmPauses.start(dir.resolve("jvm-pauses.log"));
        Run run;
        List<JvmPauses.Pause> pauses;
        String lateVcpus;
        // How a vCPU thread that has not reached its guest 1 s after the first one did (the test fails then
        // anyway) is at that moment: asleep on what, or waiting for the CPU and since how long.
        try (LateVcpus late = LateVcpus.watch(1, java.util.concurrent.TimeUnit.SECONDS)) {
            run = runSpins(64, Duration.ofSeconds(2), Map.of(), dir);
            late.close();
            lateVcpus = late.report();
        } finally {
            pauses = jvm.stop();
        }
        if (!lateVcpus.isEmpty()) System.out.println("64 VMs: vCPU threads not in their guest 1 s after the first guest ran:" + lateVcpus);
        long stop = run.report().stoppedNanos();
        assertTrue(stop > 0, "the duration ended the run");
        long[] runTimes = run.report().vms().stream().mapToLong(VmReport::runNanos).sorted().toArray();
        long spread = runTimes[runTimes.length - 1] - runTimes[0];
        assertTrue(spread <= 1_000_000, "run times spread over " + spread + " ns");
        assertTrue(!run.fpu().isEmpty(), "kvm:kvm_fpu is needed to see KVM_RUN from the kernel");
        long opened = run.report().startedNanos();
        Map<Integer, Long> firstLoad = new HashMap<>(), firstIn = new HashMap<>();
        Map<Integer, Long> afterStop = new HashMap<>(), spanningStop = new HashMap<>();
        java.util.Set<Integer> tids = run.report().vms().stream().map(VmReport::tid).collect(Collectors.toSet());
        Map<Integer, String> blockedBeforeKvmRun = new java.util.TreeMap<>(), blockedBeforeStop = new java.util.TreeMap<>();
        Map<String, java.util.Set<Integer>> sleptFrom = new java.util.TreeMap<>(); // kernel stack → TIDs that slept there
        Map<Integer, String> notInJvmPause = new java.util.TreeMap<>(); // sleepers before the stop that no JVM pause explains
        Map<Integer, Integer> slicesAfterStop = new HashMap<>(), cutByOthers = new HashMap<>();
        Map<Integer, Boolean> on = new HashMap<>(), inside = new HashMap<>();
        Map<Integer, Long> since = new HashMap<>();
        List<long[]> merged = new ArrayList<>(); // {time, kind 0=switch 1=fpu, index, line}
        for (int i = 0; i < run.kernel().size(); i++) merged.add(new long[] {run.kernel().get(i).timeNanos(), 0, i, run.kernel().get(i).line()});
        for (int i = 0; i < run.fpu().size(); i++) merged.add(new long[] {run.fpu().get(i).timeNanos(), 1, i, run.fpu().get(i).line()});
        merged.sort((a, b) -> Long.compare(a[3], b[3])); // the trace's line order is the order on the CPU
        for (long[] m : merged) {
            long t = m[0];
            List<Integer> changed = new ArrayList<>();
            if (m[1] == 1) {
                TraceFsCapture.KvmFpu f = run.fpu().get((int) m[2]);
                if (!tids.contains(f.pid())) continue;
                if (f.load()) firstLoad.putIfAbsent(f.pid(), t);
                close(f.pid(), t, stop, on, inside, since, afterStop, spanningStop);
                inside.put(f.pid(), f.load());
                changed.add(f.pid());
            } else {
                TraceFsCapture.Switch s = run.kernel().get((int) m[2]);
                int prev = s.prevPid(), next = s.nextPid();
                if (tids.contains(prev)) {
                    // A slice inside KVM_RUN after the stop that a task outside the experiment cut short (a
                    // wakeup preemption, before any tick could take the guest out to see its signal) does
                    // not count: the bound below is about the experiment's own CPU sharing.
                    if (t > stop && inside.getOrDefault(prev, false) && s.prevState().startsWith("R") && !tids.contains(next)) {
                        slicesAfterStop.merge(prev, -1, Integer::sum);
                        cutByOthers.merge(prev, 1, Integer::sum);
                    }
                    close(prev, t, stop, on, inside, since, afterStop, spanningStop);
                    on.put(prev, false);
                    changed.add(prev);
                    // A sleep before the gate (a thread that reached its park at the gate only after it was
                    // pinned) is no wait on the way to the guest; the check that nothing ran here before the
                    // gate is below.
                    if (!firstLoad.containsKey(prev) && !s.prevState().startsWith("R") && !s.implied() && t >= opened) {
                        String when = s.prevState() + String.format("@%.1fms", (t - opened) / 1e6);
                        blockedBeforeKvmRun.put(prev, when);
                        if (t < stop) blockedBeforeStop.put(prev, when);
                        String stack = run.sleepStacks().apply(s);
                        if (t < stop && !(stack != null && stack.contains("futex") && duringPause(pauses, s.earliestNanos(), t))) {
                            notInJvmPause.put(prev, when + " in " + stack);
                        }
                        // What it waited on: without this a failure says only that threads slept.
                        sleptFrom.computeIfAbsent(String.valueOf(run.sleepStacks().apply(s)), k -> new java.util.TreeSet<>()).add(prev);
                    }
                }
                if (tids.contains(next)) {
                    firstIn.putIfAbsent(next, t);
                    if (t > stop && inside.getOrDefault(next, false)) slicesAfterStop.merge(next, 1, Integer::sum);
                    close(next, t, stop, on, inside, since, afterStop, spanningStop);
                    on.put(next, true);
                    changed.add(next);
                }
            }
            for (int tid : changed) since.put(tid, t);
        }
        if (firstLoad.size() != 64) {
            StringBuilder missing = new StringBuilder();
            for (VmReport vm : run.report().vms()) {
                if (firstLoad.containsKey(vm.tid())) continue;
                long n = run.kernel().stream().filter(k -> k.nextPid() == vm.tid()).count();
                missing.append("\n  ").append(vm.name()).append(" TID ").append(vm.tid()).append(": switched in ").append(n)
                        .append(" times, progress ").append(vm.progressCounter()).append(", ").append(vm.result().describe());
                // Where it slept after the gate opened (the kernel's stacks): what kept it from its guest.
                java.util.Set<String> slept = run.kernel().stream().filter(k -> k.prevPid() == vm.tid() && k.timeNanos() >= opened)
                        .map(run.sleepStacks()).filter(java.util.Objects::nonNull).collect(Collectors.toCollection(java.util.TreeSet::new));
                if (!slept.isEmpty()) missing.append("; slept in: ").append(String.join(" | ", slept));
            }
            throw new AssertionError((64 - firstLoad.size()) + " vCPUs never entered KVM_RUN on the CPU (no kvm_fpu load):" + missing
                    + pausesBetween(pauses, opened, stop) + lateVcpus);
        }
        long startSpread = firstLoad.values().stream().mapToLong(Long::longValue).max().orElseThrow()
                - firstLoad.values().stream().mapToLong(Long::longValue).min().orElseThrow();
        long worstAfter = afterStop.values().stream().mapToLong(Long::longValue).max().orElse(0);
        long worstSpanning = spanningStop.values().stream().mapToLong(Long::longValue).max().orElse(0);
        long earliestIn = firstIn.values().stream().mapToLong(Long::longValue).min().orElseThrow();
        System.out.printf("64 VMs: gate opened, first vCPU on the CPU %.3f ms later; first KVM_RUN entries spread over %.1f ms"
                + " (each in its first slice); run times spread %d ns; after the stop instant: %d threads switched in left KVM_RUN"
                + " within %d µs, the running one within %d µs%n", (earliestIn - opened) / 1e6, startSpread / 1e6, spread,
                afterStop.size(), worstAfter / 1000, worstSpanning / 1000);
        // tracefs prints microseconds: a switch in the gate's own microsecond is allowed.
        assertTrue(earliestIn >= opened - 1_000, "a vCPU thread ran on the experiment CPU " + (opened - earliestIn) + " ns before the gate opened");
        // What the gate exists to prevent is guests starting seconds late: threads sleeping on shared locks
        // (the mmap lock, a synchronized getter) before their first KVM_RUN. The gate makes every thread
        // runnable at once (its unpark loop, bounded here; the kernel's sched_waking lines of all 64 spread
        // over 0.4–9 ms in three traced runs), and no thread sleeps on its way to KVM_RUN while the guests
        // run: 0 sleepers in five traced runs (3 × 64, 2 × 256 VMs) and six runs of this test (2026-11-26).
        // Earlier CI runs saw 7 and 48 threads sleep once; with CPU 0 loaded, 14 threads slept on a futex
        // inside a 61 ms GC safepoint (kernel stacks and the JVM's log, 2026-11-27): see below. A thread first switched in after the stop
        // instant (another session's process can hold the CPU for seconds: autogroup) may still sleep on
        // its way out, so only sleeps before the stop count. Every vCPU entered KVM_RUN within 1 s of the gate (64 first slices take
        // about 250 ms here).
        long release = run.report().releasedNanos() - opened;
        System.out.printf("64 VMs: all vCPU threads runnable %.3f ms after the gate opened; %d slept between the gate and their first"
                + " KVM_RUN (TID=state): %s, %d of them before the stop instant%n", release / 1e6, blockedBeforeKvmRun.size(),
                blockedBeforeKvmRun, blockedBeforeStop.size());
        StringBuilder stacks = new StringBuilder();
        sleptFrom.forEach((stack, who) -> stacks.append("\n  ").append(who.size()).append(" thread(s) ").append(who).append(" slept in: ").append(stack));
        long lastFirstLoad = firstLoad.values().stream().mapToLong(Long::longValue).max().orElseThrow();
        // The JVM's own pauses while vCPU threads were still on their way to KVM_RUN: a thread leaving the
        // gate's park or a native call during one sleeps on a futex until it ends.
        String startPauses = pausesBetween(pauses, opened, lastFirstLoad);
        System.out.println("64 VMs: JVM safepoints and handshakes between the gate and the last first KVM_RUN:" + (startPauses.isEmpty() ? " none" : startPauses));
        stacks.append(startPauses).append(lateVcpus);
        if (!sleptFrom.isEmpty()) System.out.println("64 VMs: kernel stacks of those sleeps:" + stacks);
        assertTrue(release <= 100_000_000L, "the gate took " + release / 1e6 + " ms to make every vCPU thread runnable");
        // A Java thread that wakes from the gate's park while the JVM is at a safepoint (a GC for another
        // thread's allocation: G1CollectForAllocation, 61 ms under load on the other CPU, held 14 threads on
        // 2026-11-27) sleeps on a futex until the safepoint ends: the JVM's pause, not a wait of jkvm's, and
        // no Java thread can avoid it. Such sleeps are reported above and bounded by the 1 s check below;
        // any other sleep (a lock of ours, the mmap lock, a page fault) fails here.
        System.out.printf("64 VMs: %d of the sleepers before the stop slept on a futex during a JVM safepoint or handshake%n",
                blockedBeforeStop.size() - notInJvmPause.size());
        assertEquals(Map.of(), notInJvmPause, "vCPU threads that slept between the gate and their first KVM_RUN, outside the JVM's"
                + " pauses (TID=state in kernel stack); all sleepers' stacks:" + stacks);
        assertTrue(lastFirstLoad - opened <= 1_000_000_000L, "the last vCPU entered KVM_RUN " + (lastFirstLoad - opened) / 1e6
                + " ms after the gate opened; threads that slept on the way: " + blockedBeforeKvmRun + stacks);
        // A stop one VM at a time lets the VMs not yet stopped run slice after slice. Stopped at one instant,
        // a vCPU leaves in the first slice it gets; on kvm_pvm a resumed guest runs until the next tick and
        // can be preempted once more before it sees the signal (seen: 2 slices), hence at most two.
        int most = slicesAfterStop.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        System.out.printf("64 VMs: at most %d slice(s) inside KVM_RUN per vCPU after the stop instant (%d ns, monotonic), not counting"
                + " %d slice(s) that other tasks preempted%n", most, stop, cutByOthers.values().stream().mapToInt(Integer::intValue).sum());
        slicesAfterStop.forEach((tid, n) -> {
            if (n <= 2) return;
            // The kernel's lines for that thread from just before the stop: which slices, and when it left KVM_RUN.
            StringBuilder lines = new StringBuilder();
            for (TraceFsCapture.Switch k : run.kernel()) {
                if ((k.prevPid() == tid || k.nextPid() == tid) && k.timeNanos() >= stop - 5_000_000) lines.append("\n  ").append(k);
            }
            for (TraceFsCapture.KvmFpu f : run.fpu()) if (f.pid() == tid && f.timeNanos() >= stop - 5_000_000) lines.append("\n  ").append(f);
            throw new AssertionError("TID " + tid + " got " + n + " slices inside KVM_RUN after the stop instant (" + stop
                    + " ns, monotonic); its trace lines from 5 ms before:" + lines);
        });
        // A tick at HZ=100 is 10 ms, two of them at most; one more for the signal's way.
        assertTrue(worstAfter <= 21_000_000, "a vCPU switched in after the stop instant ran on inside KVM_RUN for " + worstAfter + " ns");
        assertTrue(worstSpanning <= 11_000_000, "the vCPU running at the stop instant left KVM_RUN only " + worstSpanning + " ns later");
    }

    /**
     * Whether a JVM safepoint or handshake was under way at some time in [from, to] (tracefs's µs allowed
     * either side). A collection for an allocation counts from {@value #HEAP_LOCK_LEAD_NANOS} ns before
     * its safepoint began: the thread whose allocation failed takes the heap lock in the operation's
     * prologue, before the VM thread begins the safepoint, and a thread refilling its allocation buffer
     * meanwhile sleeps on that lock (seen 0.1–1.1 ms before the logged start with a 12 MB young
     * generation, 2026-11-27).
     */
    private static boolean duringPause(List<JvmPauses.Pause> pauses, long from, long to) {
        return pauses.stream().anyMatch(p -> p.startNanos() - 1_000 - (p.line().contains("CollectForAllocation") ? HEAP_LOCK_LEAD_NANOS : 0) <= to
                && p.endNanos() + 1_000 >= from);
    }

    private static final long HEAP_LOCK_LEAD_NANOS = 10_000_000;

    /** The JVM's safepoints and handshakes that overlapped [from, to], one a line, times from {@code from}. */
    private static String pausesBetween(List<JvmPauses.Pause> pauses, long from, long to) {
        StringBuilder b = new StringBuilder();
        for (JvmPauses.Pause p : pauses) {
            if (p.endNanos() < from || p.startNanos() > to) continue;
            b.append(String.format("%n  JVM pause %.3f–%.3f ms after the gate: %s", (p.startNanos() - from) / 1e6, (p.endNanos() - from) / 1e6, p.line()));
        }
        return b.toString();
    }

    /**
     * Adds the thread's time on CPU inside KVM_RUN after {@code stop}, up to {@code t}: to
     * {@code spanning} when that stretch began before the stop, else to {@code after}.
     */
    private static void close(int tid, long t, long stop, Map<Integer, Boolean> on, Map<Integer, Boolean> inside,
                              Map<Integer, Long> since, Map<Integer, Long> after, Map<Integer, Long> spanning) {
        if (on.getOrDefault(tid, false) && inside.getOrDefault(tid, false)) {
            long began = since.getOrDefault(tid, t);
            long from = Math.max(began, stop);
            if (t > from) (began < stop ? spanning : after).merge(tid, t - from, Long::sum);
        }
    }

    @org.junit.jupiter.api.Test
    void progressSplitsLikeCpuTimeAndNiceGivesTheKernelsWeightRatio(@TempDir Path dir) throws Exception {
        // Equal weights: each VM's share of progress matches its share of CPU time from the switch records.
        Run equal = runSpins(2, Duration.ofSeconds(4), Map.of(), dir.resolve("equal"));
        double progressRatio = ratio(equal, "progress");
        double cpuRatio = ratio(equal, "onCpuInKvmRun");
        // On hardware a guest's work is proportional to its CPU time: 5 %. Inside the sandbox QEMU's TCG
        // emulates the host CPU at a speed that varies with the load on the real machine, so the same CPU
        // time can buy a different amount of work: there only a coarse 15 % holds.
        boolean emulated = System.getenv("JKVM_INSIDE_SANDBOX") != null;
        double workTolerance = emulated ? 0.15 : 0.05;
        System.out.printf("equal weights: progress ratio %.4f, CPU time ratio %.4f (tolerance %.0f %%%s)%n", progressRatio, cpuRatio,
                workTolerance * 100, emulated ? ", emulated CPU" : "");
        assertEquals(cpuRatio, progressRatio, workTolerance * cpuRatio, "progress does not split like CPU time");
        // `jkvm analyze` reads the same schedule back from the file: its run time is the recorder's on-CPU time.
        var analysis = dev.jkvm.analysis.RecordingAnalysis.analyze(equal.jfr());
        for (var v : analysis.vcpus()) {
            assertEquals(Recordings.single(equal.jfr(), "jkvm.VcpuSwitchSummary", v.vm()).getLong("onCpu"), v.runNanos(), v.vm());
        }

        // nice 0 vs nice 5: CFS weights 1024 and 335 (kernel/sched/core.c sched_prio_to_weight).
        Run weighted = runSpins(2, Duration.ofSeconds(4), Map.of(0, 0, 1, 5), dir.resolve("nice"));
        double weightedCpu = ratio(weighted, "onCpuInKvmRun");
        double expected = 1024.0 / 335.0;
        System.out.printf("nice 0 vs 5: CPU time ratio %.3f, kernel weight ratio %.3f%n", weightedCpu, expected);
        assertEquals(expected, weightedCpu, 0.10 * expected, "CPU time ratio is not the weight ratio");
        double weightedProgress = ratio(weighted, "progress");
        System.out.printf("nice 0 vs 5: progress ratio %.3f (%+.1f %% from the CPU time ratio)%n", weightedProgress, (weightedProgress / weightedCpu - 1) * 100);
        // The nice-5 VM gets a quarter of the CPU, so the same host noise in work per CPU time weighs about
        // three times as much in its ratio: -2.5 to +5.0 % from the CPU time ratio in six runs on hardware
        // (2026-11-27; a 5 % bound failed one clean-clone CI at +5.02 %), equal weights within ±2.5 %.
        double weightedTolerance = emulated ? 0.15 : 0.08;
        assertEquals(weightedCpu, weightedProgress, weightedTolerance * weightedCpu, "progress does not split like CPU time under nice");
    }

    /** Where the two sequences first differ, for a failure message. */
    static String context(List<RecordedEvent> mine, List<TraceFsCapture.Switch> theirs, List<Boolean> theirsIn) {
        int first = 0;
        while (first < Math.min(mine.size(), theirs.size())
                && mine.get(first).getEventType().getName().equals("jkvm.VcpuSchedIn") == theirsIn.get(first)
                && Math.abs(mine.get(first).getLong("monotonicNanos") - theirs.get(first).timeNanos()) < 1_000_000) first++;
        StringBuilder ctx = new StringBuilder("\n first difference at " + first + ":");
        for (int c = Math.max(0, first - 3); c < Math.min(mine.size(), first + 4); c++) {
            ctx.append(String.format("%n jkvm %d %s %d", c, mine.get(c).getEventType().getName(), mine.get(c).getLong("monotonicNanos")));
        }
        for (int c = Math.max(0, first - 3); c < Math.min(theirs.size(), first + 4); c++) {
            ctx.append(String.format("%n kern %d %s %s", c, theirsIn.get(c) ? "in " : "out", theirs.get(c)));
        }
        return ctx.toString();
    }

    /**
     * vm0's value over vm1's: "progress" from VmEnd, CPU times from VcpuSwitchSummary. The guest can
     * only work while its thread is inside KVM_RUN, so "onCpuInKvmRun" is the CPU time to compare
     * with progress (start-up and exit of the thread happen outside, and are slow under TCG).
     */
    static double ratio(Run run, String what) throws Exception {
        Files.createDirectories(run.jfr().getParent());
        String type = what.equals("progress") ? "jkvm.VmEnd" : "jkvm.VcpuSwitchSummary";
        double a = Recordings.single(run.jfr(), type, "vm0").getLong(what);
        double b = Recordings.single(run.jfr(), type, "vm1").getLong(what);
        assertTrue(a > 0 && b > 0, what + " is zero: " + a + ", " + b);
        return a / b;
    }
}
