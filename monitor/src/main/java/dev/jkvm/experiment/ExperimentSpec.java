package dev.jkvm.experiment;

import dev.jkvm.guest.GuestImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;

/**
 * An experiment: N VMs (each a guest, its memory, its argument and nice value), an optional
 * experiment CPU they all share, an optional duration, and the recording. Validated by
 * {@link Experiment#validate} before any VM starts.
 *
 * @param duration how long to run; null runs until every guest has ended
 * @param cpu      the CPU every vCPU thread is pinned to, if any
 * @param jfr      where to write the recording, or null for none
 * @param profile  the JFR profile name (jfr-profiles/NAME.jfc), used with {@code jfr}
 */
public record ExperimentSpec(
        List<VmSpec> vms,
        Duration duration,
        OptionalInt cpu,
        Path jfr,
        String profile,
        boolean streamSerial) {

    /**
     * One VM: its guest, RAM in bytes, the value the guest finds in RDI, and its vCPU thread's nice
     * value (null: the monitor's own).
     */
    public record VmSpec(GuestImage guest, long memory, long arg, Integer nice) {}

    public ExperimentSpec {
        vms = List.copyOf(vms);
    }
}
