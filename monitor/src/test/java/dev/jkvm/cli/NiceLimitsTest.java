package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NiceLimitsTest {
    /** The kernel's can_nice: nice n is allowed with CAP_SYS_NICE or when 20 - n is within RLIMIT_NICE; a thread may always go up. */
    @Test
    void theLowestNiceFollowsTheCapabilityAndTheLimit() {
        assertEquals(-20, NiceLimits.lowestAllowed(true, 0, 0));
        assertEquals(0, NiceLimits.lowestAllowed(false, 0, 0), "the usual user: its own nice and above");
        assertEquals(5, NiceLimits.lowestAllowed(false, 0, 5), "started under nice -n 5: not back to 0");
        assertEquals(-5, NiceLimits.lowestAllowed(false, 25, 0), "ulimit -e 25 allows -5");
        assertEquals(0, NiceLimits.lowestAllowed(false, 15, 0), "a limit of 15 allows only 5 and above, but the thread is at 0 already");
        assertEquals(-20, NiceLimits.lowestAllowed(false, 40, 0));
        assertEquals(-20, NiceLimits.lowestAllowed(false, -1, 0), "unlimited");
    }

    @Test
    void thisProcessReadsItsOwnValues() throws Exception {
        String stat = dev.jkvm.util.KernelFile.read(java.nio.file.Path.of("/proc/thread-self/stat"));
        Process p = new ProcessBuilder("sh", "-c", "ps -o ni= -L -p " + ProcessHandle.current().pid() + " | sort -u").start();
        String nices = new String(p.getInputStream().readAllBytes()).strip();
        p.waitFor();
        assertEquals(true, nices.lines().map(String::strip).toList().contains(Integer.toString(NiceLimits.currentNice())), nices + " / " + stat);
    }
}
