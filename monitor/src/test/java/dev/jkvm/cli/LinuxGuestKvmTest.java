package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.cli.RunCommandKvmTest.Result;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The built-in {@code linux} guest on real KVM: Debian's kernel booted directly (no firmware) into
 * jkvm's initramfs, its workload, its steal time, its power-off, and a kernel panic ending only
 * its own VM. Tagged hardware-paging: on kvm_pvm (which shadows guest page tables) the kernel dies of
 * an emulation failure during boot, so the suite runs these in the sandbox there (see README).
 */
@Tag("kvm")
@Tag("hardware-paging")
class LinuxGuestKvmTest {
    private static final Pattern SUMMARY = Pattern.compile("(vm\\d)\\| jkvm-linux: summary work=cpu elapsed_ms=(\\d+) iterations=(\\d+) steal_ms=(\\d+)");

    @Test
    void bootsPrintsReadyRunsItsWorkloadAndPowersOff() {
        Result r = RunCommandKvmTest.jkvm("run", "--no-sandbox", "--guest", "linux", "--arg", "1");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("vm0| jkvm-linux: ready, work=cpu for 1 s"), r.out());
        assertTrue(r.out().contains("vm0| jkvm-linux: progress "), r.out());
        Matcher m = SUMMARY.matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(Long.parseLong(m.group(2)) >= 1000, "the workload ran its second of guest time: " + m.group());
        assertTrue(r.out().contains("vm0 exited with status 0"), r.out());
    }

    @Test
    void aPanicEndsThatVmAsAFaultWithItsLastLinesWhileTheOtherFinishes() {
        Result r = RunCommandKvmTest.jkvm("run", "--no-sandbox", "--guest", "linux", "--vms", "2", "--arg", "1",
                "--cmdline", "vm0=init=/nonexistent");
        assertEquals(4, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("vm0| Kernel panic - not syncing"), r.out());
        assertTrue(r.out().contains("vm0 faulted: SHUTDOWN"), r.out());
        assertTrue(r.out().contains("vm1 exited with status 0"), r.out());
        assertTrue(r.out().contains("vm1| jkvm-linux: summary"), r.out());
    }
}
