package dev.jkvm.experiment;

import dev.jkvm.exits.ExitStats;
import dev.jkvm.jfr.GuestProgress;
import dev.jkvm.jfr.VcpuExitStats;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.FlightRecorder;

/**
 * The periodic JFR events of a run, registered for its duration: exit statistics per vCPU and
 * reason, and the guests' progress counters. JFR calls the hooks on its own thread at the period
 * the profile sets; the values are read from the vCPU threads' counters without stopping them.
 */
final class PeriodicEvents implements AutoCloseable {
    private final Runnable exitStats;
    private final Runnable progress;

    private PeriodicEvents(List<VmInstance> vms) {
        this.exitStats = () -> {
            for (VmInstance vm : vms) {
                ExitStats stats = vm.stats();
                for (int code : stats.codesSeen()) {
                    ExitStats.Snapshot s = stats.snapshot(code);
                    VcpuExitStats e = new VcpuExitStats();
                    e.vm = vm.name();
                    e.vcpu = 0;
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
        Map<String, Long> last = new HashMap<>();
        this.progress = () -> {
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

    static PeriodicEvents register(List<VmInstance> vms) {
        PeriodicEvents p = new PeriodicEvents(vms);
        FlightRecorder.addPeriodicEvent(VcpuExitStats.class, p.exitStats);
        FlightRecorder.addPeriodicEvent(GuestProgress.class, p.progress);
        return p;
    }

    @Override
    public void close() {
        FlightRecorder.removePeriodicEvent(exitStats);
        FlightRecorder.removePeriodicEvent(progress);
    }
}
