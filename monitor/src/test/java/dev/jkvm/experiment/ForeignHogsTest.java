package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.testing.TaskStat;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A hog's loop outlives nothing: started under a parent that is then killed with SIGKILL (as a
 * jkvm killed that way or crashed would be, which cannot kill its hogs), it ends by itself within
 * seconds; while the parent lives it keeps spinning. Its state comes from /proc, not from the hog.
 */
class ForeignHogsTest {
    @Test
    void theLoopEndsWhenItsParentIsGone() throws Exception {
        // The parent: a shell that starts the hog in the background, prints its pid and then waits.
        Process parent = new ProcessBuilder("/bin/sh", "-c", "/bin/sh -c '" + ForeignHogs.HOG_LOOP + "' & echo $!; exec sleep 60").start();
        long hog;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(parent.getInputStream()))) {
            hog = Long.parseLong(r.readLine().strip());
            Path stat = Path.of("/proc/" + hog + "/stat");
            long before = cpuTicks(stat);
            Thread.sleep(300);
            assertTrue(Files.exists(stat), "the hog ended while its parent lives");
            assertTrue(cpuTicks(stat) > before, "the hog does not spin");
            parent.destroyForcibly().waitFor();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!TaskStat.ended(hog) && System.nanoTime() < deadline) Thread.sleep(10);
            assertTrue(TaskStat.ended(hog), "the hog still spins 10 s after its parent was killed");
        } finally {
            parent.destroyForcibly();
        }
    }

    /** utime + stime (fields 14 and 15 of proc(5)). */
    private static long cpuTicks(Path stat) throws java.io.IOException {
        String[] f = TaskStat.fields(stat);
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}
