package dev.jkvm.experiment;

import dev.jkvm.exits.GuestResult;
import java.util.List;

/**
 * The outcome of an experiment, one {@link VmReport} per VM in VM order, and why the recording could
 * not be written ({@code null} when it was, or none was asked for).
 */
public record ExperimentReport(List<VmReport> vms, String recordingProblem) {

    public ExperimentReport {
        vms = List.copyOf(vms);
    }

    public ExperimentReport(List<VmReport> vms) {
        this(vms, null);
    }

    ExperimentReport withRecordingProblem(String problem) {
        return new ExperimentReport(vms, problem);
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
