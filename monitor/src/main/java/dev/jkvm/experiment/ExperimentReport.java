package dev.jkvm.experiment;

import dev.jkvm.exits.GuestResult;
import java.util.List;

/**
 * What an experiment did: each VM's report, when the start gate opened (every guest could run from
 * then), when the gate had made the last vCPU thread runnable ({@code releasedNanos}; the release
 * spread is its distance from {@code startedNanos}) and the one instant every VM still running was
 * stopped (0 when all guests ended by themselves); all System.nanoTime, the kernel's
 * CLOCK_MONOTONIC. {@code recordingProblem} says why the recording could not be written
 * ({@code null} when it was, or none was asked for); {@code helperFailures} the helper threads that
 * failed during the run (the recorder, a sampler…), one line each, each saying what is missing since.
 * {@code setUp} says where the time before the gate went.
 */
public record ExperimentReport(List<VmReport> vms, long startedNanos, long releasedNanos, long stoppedNanos,
                               String recordingProblem, List<String> helperFailures, SetUp setUp) {

    /**
     * The time before the gate: the experiment began at {@code beganNanos} (System.nanoTime), and
     * creating its VMs took {@code creatingNanos}; the rest up to {@code startedNanos} is the recording's
     * start, the vCPU threads, the recorder and the probes. All 0 where unknown. {@code cpu}: the
     * process's CPU time from the beginning to the gate, every thread's (null where unknown): beside the
     * wall time it says whether the set-up was CPU work or waiting.
     */
    public record SetUp(long beganNanos, long creatingNanos, dev.jkvm.host.ProcessCpu cpu) {
        public static final SetUp UNKNOWN = new SetUp(0, 0, null);

        SetUp withCpu(dev.jkvm.host.ProcessCpu used) {
            return new SetUp(beganNanos, creatingNanos, used);
        }
    }

    public ExperimentReport {
        vms = List.copyOf(vms);
        helperFailures = List.copyOf(helperFailures);
    }

    public ExperimentReport(List<VmReport> vms, long startedNanos, long releasedNanos, long stoppedNanos) {
        this(vms, startedNanos, releasedNanos, stoppedNanos, null, List.of(), SetUp.UNKNOWN);
    }

    ExperimentReport withRecordingProblem(String problem) {
        return new ExperimentReport(vms, startedNanos, releasedNanos, stoppedNanos, problem, helperFailures, setUp);
    }

    ExperimentReport withHelperFailures(List<String> failures) {
        return new ExperimentReport(vms, startedNanos, releasedNanos, stoppedNanos, recordingProblem, failures, setUp);
    }

    ExperimentReport withSetUp(SetUp s) {
        return new ExperimentReport(vms, startedNanos, releasedNanos, stoppedNanos, recordingProblem, helperFailures, s);
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
