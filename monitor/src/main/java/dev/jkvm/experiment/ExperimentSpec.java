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
     * One VM: its guest, RAM in bytes, the value the guest finds in RDI, its vCPU threads' nice
     * value (null: the monitor's own) and its number of vCPUs.
     */
    public record VmSpec(GuestImage guest, long memory, long arg, Integer nice, int vcpus) {
        /** A VM with as many vCPUs as its guest's manifest asks for (1 unless it says {@code vcpus}). */
        public VmSpec(GuestImage guest, long memory, long arg, Integer nice) {
            this(guest, memory, arg, nice, guest.manifest().vcpus());
        }
    }

    public ExperimentSpec {
        vms = List.copyOf(vms);
    }
}
