package dev.jkvm.experiment;

import dev.jkvm.guest.GuestImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;

/**
 * An experiment: N VMs × one guest × an optional experiment CPU × an optional duration, plus the
 * recording. Validated by {@link Experiment} before any VM starts.
 *
 * @param memory   guest RAM per VM in bytes
 * @param duration how long to run; null runs until every guest has ended
 * @param arg      the value each guest finds in RDI
 * @param cpu      the CPU every vCPU thread is pinned to, if any
 * @param nice     nice value per VM index (absent: the monitor's own)
 * @param jfr      where to write the recording, or null for none
 * @param profile  the JFR profile name (jfr-profiles/NAME.jfc)
 */
public record ExperimentSpec(
        GuestImage guest,
        int vms,
        long memory,
        Duration duration,
        long arg,
        OptionalInt cpu,
        Map<Integer, Integer> nice,
        Path jfr,
        String profile,
        boolean streamSerial) {

    public ExperimentSpec {
        nice = Map.copyOf(nice);
    }
}
