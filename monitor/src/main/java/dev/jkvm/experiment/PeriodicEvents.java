package dev.jkvm.experiment;

import dev.jkvm.util.FaultInjection;
import dev.jkvm.util.HelperFailures;
import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.bindings.generated.kvm_steal_time;
import dev.jkvm.exits.ExitStats;
import dev.jkvm.jfr.JkvmTimeline;
import dev.jkvm.jfr.KvmStats;
import dev.jkvm.jfr.StealTime;
import java.lang.foreign.MemorySegment;
import dev.jkvm.jfr.GuestProgress;
import dev.jkvm.jfr.VcpuExitStats;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.FlightRecorder;

/**
 * The periodic JFR events of a run, registered for its duration: exit statistics per vCPU and
 * reason, the guests' progress counters and steal time, and KVM's statistics (as changes, see
 * {@link KvmStatsDeltas}). JFR calls the hooks on its own thread at the period
 * the profile sets; the values are read from the vCPU threads' counters without stopping them.
 */
final class PeriodicEvents implements AutoCloseable {
    private final Runnable exitStats;
    private final Runnable progress;
    private final Runnable steal;
    private final Runnable kvmStats;
    private final KvmStatsDeltas kvmStatsDeltas;

    private PeriodicEvents(List<VmInstance> vms, HelperFailures failures, JkvmTimeline timeline) {
        this.exitStats = guarded("periodic hook jkvm.VcpuExitStats", "exit statistics", failures, exitStats(vms));
        this.progress = guarded("periodic hook jkvm.GuestProgress", "progress samples", failures, progress(vms));
        this.steal = guarded("periodic hook jkvm.StealTime", "steal time samples", failures, stealTime(vms));
        this.kvmStatsDeltas = new KvmStatsDeltas(vms, timeline);
        this.kvmStats = guarded("periodic hook jkvm.KvmStats", "KVM statistics", failures, kvmStatsDeltas::sample);
    }

    /**
     * JFR catches what a periodic hook throws and logs it where nobody looks (its own log, off by
     * default), calling the hook again next period: a hook that fails is reported once, here, and
     * not run again.
     */
    private static Runnable guarded(String what, String missing, HelperFailures failures, Runnable hook) {
        FaultInjection.Point fault = FaultInjection.at("periodic");
        java.util.concurrent.atomic.AtomicBoolean failed = new java.util.concurrent.atomic.AtomicBoolean();
        return () -> {
            if (failed.get()) return;
            try {
                synchronized (fault) {
                    fault.pass();
                }
                hook.run();
            } catch (Throwable t) {
                if (failed.compareAndSet(false, true)) failures.failed(what, t, missing);
            }
        };
    }

    private static Runnable exitStats(List<VmInstance> vms) {
        return () -> {
            for (VmInstance vm : vms) for (VmVcpu v : vm.vcpus()) {
                ExitStats stats = v.stats();
                for (int code : stats.codesSeen()) {
                    ExitStats.Snapshot s = stats.snapshot(code);
                    VcpuExitStats e = new VcpuExitStats();
                    e.vm = vm.name();
                    e.vcpu = v.index();
                    e.reason = s.reasonName();
                    e.count = s.count();
                    e.under1us = s.countBelow(1L << 10);
                    e.under8us = s.countBelow(1L << 13);
                    e.under64us = s.countBelow(1L << 16);
                    e.under1ms = s.countBelow(1L << 20);
                    e.mean = s.meanHandlingNanos();
                    e.p99 = s.quantileUpperBoundNanos(0.99);
                    e.max = s.maxHandlingNanos();
                    e.commit();
                }
            }
        };
    }

    private static Runnable progress(List<VmInstance> vms) {
        Map<String, Long> last = new HashMap<>();
        return () -> {
            for (VmInstance vm : vms) {
                var counter = vm.guest().manifest().counter();
                if (counter.isEmpty()) continue;
                long value = vm.memory().readLong(counter.getAsLong());
                GuestProgress e = new GuestProgress();
                e.vm = vm.name();
                e.counter = value;
                e.delta = value - last.getOrDefault(vm.name(), 0L);
                last.put(vm.name(), value);
                e.commit();
            }
        };
    }

    private static Runnable stealTime(List<VmInstance> vms) {
        Map<String, Long> last = new HashMap<>();
        return () -> {
            for (VmInstance vm : vms) {
                var at = vm.guest().manifest().stealTime();
                if (at.isEmpty()) continue;
                MemorySegment st = vm.memory().slice(at.getAsLong(), kvm_steal_time.layout().byteSize());
                long version = Integer.toUnsignedLong(kvm_steal_time.version(st));
                if (version == 0) continue; // KVM has not written the record yet (the guest has not enabled it)
                long stolen = kvm_steal_time.steal(st);
                StealTime e = new StealTime();
                e.vm = vm.name();
                e.vcpu = 0;
                e.steal = stolen;
                e.stealDelta = stolen - last.getOrDefault(vm.name(), 0L);
                e.preempted = (kvm_steal_time.preempted(st) & LinuxHeaders.KVM_VCPU_PREEMPTED()) != 0;
                e.version = version;
                e.commit();
                last.put(vm.name(), stolen);
            }
        };
    }


    /**
     * Registers the hooks for the run, or returns null when JFR is not initialized in this process
     * (no --jfr and no other recording): nothing could record the events, and registering them would
     * initialize JFR, about 0.1–0.3 s before the first guest instruction. {@code timeline}: where KVM
     * statistics go in a recorded run (null: committed as plain events).
     */
    static PeriodicEvents register(List<VmInstance> vms, HelperFailures failures, JkvmTimeline timeline) {
        if (!FlightRecorder.isInitialized()) return null;
        PeriodicEvents p = new PeriodicEvents(vms, failures, timeline);
        FlightRecorder.addPeriodicEvent(VcpuExitStats.class, p.exitStats);
        FlightRecorder.addPeriodicEvent(GuestProgress.class, p.progress);
        FlightRecorder.addPeriodicEvent(StealTime.class, p.steal);
        FlightRecorder.addPeriodicEvent(KvmStats.class, p.kvmStats);
        return p;
    }

    @Override
    public void close() {
        FlightRecorder.removePeriodicEvent(exitStats);
        FlightRecorder.removePeriodicEvent(progress);
        FlightRecorder.removePeriodicEvent(steal);
        FlightRecorder.removePeriodicEvent(kvmStats);
        // The run has ended (every vCPU stopped): the last change of every KVM statistic, the final
        // exit counts, steal time and progress counters, so the totals are in the recording however
        // long the profile's period is (without them a guest's last exits before it halted were
        // missing, and a run shorter than jkvm-sched's 10 s period had one progress sample at most).
        if (kvmStatsEnabled()) kvmStats.run();
        if (new VcpuExitStats().isEnabled()) exitStats.run();
        if (new StealTime().isEnabled()) steal.run();
        if (new GuestProgress().isEnabled()) progress.run();
    }

    private static boolean kvmStatsEnabled() {
        return new KvmStats().isEnabled();
    }
}
