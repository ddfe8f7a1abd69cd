package dev.jkvm.experiment;

import dev.jkvm.exits.GuestResult;
import dev.jkvm.jfr.VmEnd;
import dev.jkvm.jfr.VmStart;
import jdk.jfr.FlightRecorder;

/**
 * Commits the VM lifecycle events. Without JFR in the process (no --jfr) nothing is built: creating
 * the first event would initialize JFR, 0.1–0.3 s before the first guest instruction for nothing.
 */
final class LifecycleEvents {
    private LifecycleEvents() {}

    static void vmStart(String vm, ExperimentSpec.VmSpec spec, int tid, int cpu) {
        if (!FlightRecorder.isInitialized()) return;
        VmStart e = new VmStart();
        if (!e.shouldCommit()) return;
        e.vm = vm;
        e.guest = spec.guest().manifest().name();
        e.mode = spec.guest().manifest().mode().displayName();
        e.memory = spec.memory();
        e.tid = tid;
        e.cpu = cpu;
        e.nice = spec.nice() == null ? 0 : spec.nice();
        e.commit();
    }

    static void vmEnds(ExperimentReport report) {
        if (!FlightRecorder.isInitialized()) return;
        for (VmReport vm : report.vms()) {
            VmEnd e = new VmEnd();
            if (!e.shouldCommit()) continue;
            e.vm = vm.name();
            e.guest = vm.guest();
            e.result = vm.result().describe();
            e.clean = vm.result().clean();
            e.exitStatus = vm.result() instanceof GuestResult.Exited x ? x.status() : -1;
            e.exits = vm.exits().total();
            e.runTime = vm.runNanos();
            e.progress = vm.progressCounter() == null ? -1 : vm.progressCounter();
            e.commit();
            if (vm.linuxSteal() != null) {
                dev.jkvm.jfr.LinuxWorkloadSteal s = new dev.jkvm.jfr.LinuxWorkloadSteal();
                s.vm = vm.name();
                s.vcpu = 0;
                s.guestSteal = vm.linuxSteal().guestStealMs() * 1_000_000;
                s.hostRunQueueWait = vm.linuxSteal().hostWaitNanos();
                s.commit();
            }
        }
    }
}
