package dev.jkvm.experiment;

import dev.jkvm.exits.GuestResult;
import java.util.List;

/**
 * What an experiment did: each VM's report, when the start gate opened (every guest could run from
 * then) and the one instant every VM still running was stopped (0 when all guests ended by
 * themselves); both System.nanoTime, the kernel's CLOCK_MONOTONIC. {@code recordingProblem} says
 * why the recording could not be written ({@code null} when it was, or none was asked for);
 * {@code helperFailures} the helper threads that failed during the run (the recorder, a sampler…),
 * one line each, each saying what is missing since.
 */
public record ExperimentReport(List<VmReport> vms, long startedNanos, long stoppedNanos, String recordingProblem,
                               List<String> helperFailures) {

    public ExperimentReport {
        vms = List.copyOf(vms);
        helperFailures = List.copyOf(helperFailures);
    }

    public ExperimentReport(List<VmReport> vms, long startedNanos, long stoppedNanos) {
        this(vms, startedNanos, stoppedNanos, null, List.of());
    }

    ExperimentReport withRecordingProblem(String problem) {
        return new ExperimentReport(vms, startedNanos, stoppedNanos, problem, helperFailures);
    }

    ExperimentReport withHelperFailures(List<String> failures) {
        return new ExperimentReport(vms, startedNanos, stoppedNanos, recordingProblem, failures);
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
