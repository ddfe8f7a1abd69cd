package dev.jkvm.host;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The process's CPU time from getrusage, against the kernel's own count in /proc/self/stat. */
class ProcessCpuTest {
    /** /proc/self/stat counts in clock ticks (USER_HZ, 100 on x86-64 Linux). */
    private static final long NANOS_PER_TICK = 10_000_000;

    @Test
    void agreesWithProcSelfStatOverABusyStretch() throws IOException {
        ProcessCpu.now(); // first: a first call may load and link code, CPU time the second read would not see
        long[] statBefore = stat();
        ProcessCpu before = ProcessCpu.now();
        // Busy until this thread has had 0.4 s of CPU, not for 0.4 s of wall time: on a loaded host (a
        // sandbox run beside the tests) a wall-time stretch got 174 ms of CPU.
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpuUntil = threads.getCurrentThreadCpuTime() + 400_000_000L, giveUpAt = System.nanoTime() + 60_000_000_000L, sink = 0;
        while (threads.getCurrentThreadCpuTime() < cpuUntil && System.nanoTime() < giveUpAt) {
            for (int i = 0; i < 1000; i++) sink += Long.numberOfTrailingZeros(sink + System.nanoTime());
        }
        ProcessCpu used = ProcessCpu.now().minus(before);
        long[] statAfter = stat();
        long statUser = (statAfter[0] - statBefore[0]) * NANOS_PER_TICK, statSystem = (statAfter[1] - statBefore[1]) * NANOS_PER_TICK;
        String both = "getrusage user " + used.userNanos() + " ns, system " + used.systemNanos() + " ns; /proc/self/stat user "
                + statUser + " ns, system " + statSystem + " ns (" + sink + ")";
        // 0.4 s of a busy thread's CPU, most of it user time (the clock reads stay in the vDSO); the JVM's
        // other threads add to both counts alike, and the two are read a few microseconds apart.
        assertTrue(used.userNanos() >= 300_000_000L, both);
        long total = used.userNanos() + used.systemNanos(), statTotal = statUser + statSystem;
        assertTrue(Math.abs(total - statTotal) <= 3 * NANOS_PER_TICK + total / 10, both);
    }

    /** utime and stime of /proc/self/stat, fields 14 and 15 (after the parenthesised command). */
    private static long[] stat() throws IOException {
        String s = Files.readString(Path.of("/proc/self/stat"));
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
    }
}
