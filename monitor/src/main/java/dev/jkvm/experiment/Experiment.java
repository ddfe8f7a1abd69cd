package dev.jkvm.experiment;

import dev.jkvm.bindings.Syscalls;
import dev.jkvm.guest.GuestManifest;
import dev.jkvm.kvm.Kvm;
import dev.jkvm.kvm.KvmAvailability;
import dev.jkvm.sched.CpuPlacement;
import dev.jkvm.jfr.JfrSession;
import dev.jkvm.sched.KernelProbes;
import dev.jkvm.sched.MonitorThreads;
import dev.jkvm.sched.SchedRecorder;
import dev.jkvm.sched.VcpuId;
import dev.jkvm.util.Durations;
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
 * Runs an {@link ExperimentSpec}: creates every VM, starts one pinned vCPU thread per VM, waits for
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

    /** Checks everything a user can get wrong, before anything starts. */
    public static void validate(ExperimentSpec spec) {
        if (spec.vms().isEmpty()) throw new UsageException("an experiment needs at least one VM");
        spec.cpu().ifPresent(CpuPlacement::requireUsable);
        for (ExperimentSpec.VmSpec vm : spec.vms()) {
            if (vm.nice() != null && (vm.nice() < -20 || vm.nice() > 19)) {
                throw new UsageException("nice values go from -20 to 19, got " + vm.nice());
            }
            vm.guest().check("guest " + vm.guest().manifest().name(), vm.memory());
        }
    }

    public ExperimentReport run() throws InterruptedException {
        validate(spec);
        KvmAvailability.ensureUsable();
        List<VmInstance> vms = new ArrayList<>();
        BitSet elsewhere = spec.cpu().isPresent() ? CpuPlacement.allowedExcept(spec.cpu().getAsInt()) : new BitSet();
        // Order matters: move the monitor's threads first, so every thread created from here on
        // (JFR's, the recorder, the vCPU threads before they pin themselves) starts off the experiment CPU.
        try (MonitorThreads moved = MonitorThreads.moveAllTo(elsewhere);
             Recording recording = JfrSession.start(spec.jfr(), spec.profile());
             SchedRecorder recorder = new SchedRecorder(out, elsewhere);
             Kvm kvm = Kvm.open();
             Arena arena = Arena.ofConfined()) {
            MemorySegment cpuid = kvm.supportedCpuid(arena);
            for (int i = 0; i < spec.vms().size(); i++) {
                ExperimentSpec.VmSpec vm = spec.vms().get(i);
                vms.add(VmInstance.create(kvm, cpuid, i, vm.guest(), vm.memory(), vm.arg(), spec.streamSerial() ? out : null));
            }
            if (spec.cpu().isPresent() && recording != null) KernelProbes.open(spec.cpu().getAsInt(), recorder, out);
            recorder.start();
            for (VmInstance vm : vms) vm.newThread(placementFor(vm, recorder));
            GuestSampler sampler = new GuestSampler(vms);
            TickSampler ticks = new TickSampler(vms);
            try (PeriodicEvents periodic = PeriodicEvents.register(vms); sampler; ticks) {
                sampler.start();
                ticks.start();
                for (VmInstance vm : vms) vm.thread().start();
                for (VmInstance vm : vms) vm.thread().awaitStarted();
                printThreadMap(vms);
                awaitEnd(vms);
            }
            recorder.stopAndFlush();
            sampler.finish(recorder::offCpuIntervals);
            ticks.finish(out);
            ExperimentReport report = report(vms);
            LifecycleEvents.vmEnds(report);
            printRecorderTotals(recorder);
            if (recording != null) JfrSession.finish(recording, spec.jfr(), out);
            return report;
        } finally {
            for (VmInstance vm : vms) {
                if (vm.thread() != null) vm.thread().stopAndJoin("monitor shutting down");
            }
            for (VmInstance vm : vms) vm.close();
        }
    }

    private VcpuThread.Placement placementFor(VmInstance vm, SchedRecorder recorder) {
        ExperimentSpec.VmSpec s = spec.vms().get(vm.index());
        return tid -> {
            spec.cpu().ifPresent(cpu -> {
                BitSet only = new BitSet();
                only.set(cpu);
                Syscalls.setAffinity(tid, only);
            });
            if (s.nice() != null) Syscalls.setNice(tid, s.nice());
            recorder.attachCurrentThread(new VcpuId(vm.name(), 0, tid), vm.trace());
            LifecycleEvents.vmStart(vm.name(), s, tid, spec.cpu().orElse(-1));
        };
    }

    private void printRecorderTotals(SchedRecorder recorder) {
        if (!recorder.recordingSwitches()) return;
        SchedRecorder.Totals t = recorder.totals();
        out.printf("jkvm: recorder: %d switch records, %d probe records, %d lost; commit lag p50 %s, p99 %s, max %s%n",
                t.switchRecords(), t.probeRecords(), t.lostRecords(), Durations.format(Duration.ofNanos(t.lagP50())),
                Durations.format(Duration.ofNanos(t.lagP99())), Durations.format(Duration.ofNanos(t.lagMax())));
        out.flush();
    }

    private void printThreadMap(List<VmInstance> vms) {
        String where = spec.cpu().isPresent() ? "pinned to CPU " + spec.cpu().getAsInt() : "not pinned";
        out.printf("jkvm: %d VM%s, vCPU threads %s%n", vms.size(), vms.size() == 1 ? "" : "s", where);
        for (VmInstance vm : vms) {
            ExperimentSpec.VmSpec s = spec.vms().get(vm.index());
            GuestManifest m = s.guest().manifest();
            out.printf("jkvm: %s %s (%s mode, %d KiB): vCPU 0 → thread %s, TID %d%s%n", vm.name(), m.name(),
                    m.mode().displayName(), s.memory() >> 10, vm.thread().name(), vm.thread().tid(),
                    s.nice() == null ? "" : ", nice " + s.nice());
        }
        out.flush();
    }

    private void awaitEnd(List<VmInstance> vms) throws InterruptedException {
        long deadline = spec.duration() == null ? Long.MAX_VALUE : System.nanoTime() + spec.duration().toNanos();
        for (VmInstance vm : vms) {
            while (vm.thread().isAlive()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) break;
                vm.thread().join(Math.max(1, Math.min(left / 1_000_000, 100)));
            }
        }
        for (VmInstance vm : vms) {
            if (vm.thread().isAlive()) vm.thread().stopAndJoin("duration elapsed");
        }
    }

    private ExperimentReport report(List<VmInstance> vms) {
        List<VmReport> reports = new ArrayList<>();
        for (VmInstance vm : vms) {
            vm.serial().finish();
            VcpuThread t = vm.thread();
            Long counter = vm.guest().manifest().counter().isPresent()
                    ? vm.memory().readLong(vm.guest().manifest().counter().getAsLong()) : null;
            reports.add(new VmReport(vm.name(), vm.guest().manifest().name(), t.name(), t.tid(), t.result(), vm.stats(),
                    vm.serial().text(), vm.ping().pings(), vm.handler().ports().unknownReads(),
                    vm.handler().ports().unknownWrites(), vm.handler().mmioReads(), vm.handler().mmioWrites(),
                    t.runNanos(), t.endNanos(), t.loopAllocatedBytes(), counter));
        }
        return new ExperimentReport(reports);
    }
}
