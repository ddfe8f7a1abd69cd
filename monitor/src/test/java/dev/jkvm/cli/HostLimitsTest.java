package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HostLimitsTest {
    /**
     * The case seen as an unprivileged user with ulimit -u 150 (2026-11-27): the kernel refused the
     * 136th vCPU thread of a 256-VM run; now the run is refused before it starts, naming how many fit.
     */
    @Test
    void tooManyVcpuThreadsForTheUsersTaskLimitAreRefusedUpFront() {
        assertEquals("256 vCPUs need about 314 threads (one per vCPU, about 58 of jkvm's own) but this user may have 150 tasks"
                + " (ulimit -u) and has 1 already: at most 91 vCPUs here; raise ulimit -u or run fewer", HostLimits.threadsProblem(256, 150, 1, 58));
        assertNull(HostLimits.threadsProblem(91, 150, 1, 58));
        assertTrue(HostLimits.threadsProblem(92, 150, 1, 58).contains("at most 91 vCPUs"));
        assertTrue(HostLimits.threadsProblem(1, 40, 10, 58).contains("at most 0 vCPUs"));
    }

    /** The user's other tasks as ps(1) counts them (its NLWP column), for the same uid and without this process. */
    @Test
    void theUsersTasksAreCountedAsPsCountsThem() throws Exception {
        long self = ProcessHandle.current().pid();
        String uid = new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        for (int attempt = 0; ; attempt++) {
            long before = HostLimits.tasksOfThisUser();
            Process ps = new ProcessBuilder("ps", "-e", "-o", "ruid=,pid=,nlwp=").start();
            String table = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            ps.waitFor();
            long byPs = table.lines().map(l -> l.trim().split("\\s+")).filter(f -> f.length == 3 && f[0].equals(uid))
                    .filter(f -> Long.parseLong(f[1]) != self && Long.parseLong(f[1]) != ps.pid()).mapToLong(f -> Long.parseLong(f[2])).sum();
            long after = HostLimits.tasksOfThisUser();
            // Other processes come and go meanwhile (the build's among them): the count must fall within what ps saw, give or take them.
            if (Math.abs(byPs - before) <= 2 && Math.abs(byPs - after) <= 2) return;
            if (attempt == 20) assertEquals(byPs, before, table);
            Thread.sleep(50);
        }
    }
}
