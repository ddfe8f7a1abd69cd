package dev.jkvm.experiment;

import dev.jkvm.exits.GuestResult;
import java.util.List;

/** The outcome of an experiment, one {@link VmReport} per VM in VM order. */
/**
 * What an experiment did: each VM's report, when the start gate opened (every guest could run from
 * then) and the one instant every VM still running was stopped (0 when all guests ended by
 * themselves); both System.nanoTime, the kernel's CLOCK_MONOTONIC.
 */
public record ExperimentReport(List<VmReport> vms, long startedNanos, long stoppedNanos) {

    public ExperimentReport {
        vms = List.copyOf(vms);
    }

    public VmReport vm(int index) {
        return vms.get(index);
    }

    /** True if any guest faulted, exited non-zero, or hit a monitor error. */
    public boolean anyUnclean() {
        return vms.stream().anyMatch(v -> !v.result().clean());
    }

    /** True if the monitor itself failed for some guest (as opposed to the guest faulting). */
    public boolean anyMonitorError() {
        return vms.stream().anyMatch(v -> v.result() instanceof GuestResult.MonitorError);
    }
}
