package dev.jkvm.util;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ThreadNiceTest {
    /** The calling thread's nice as ps(1) reports it for that thread (its NI column), on a thread of the test's own. */
    @Test
    void theThreadsNiceIsWhatPsShows() throws Exception {
        int[] seen = new int[3];
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                int tid = dev.jkvm.bindings.Syscalls.gettid();
                dev.jkvm.bindings.Syscalls.setNice(tid, 3); // raising needs no privilege; this thread only, which then ends
                Process ps = new ProcessBuilder("ps", "-L", "-o", "lwp=,ni=", "-p", Long.toString(ProcessHandle.current().pid())).start();
                String table = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                ps.waitFor();
                seen[0] = table.lines().map(l -> l.trim().split("\\s+")).filter(f -> f[0].equals(Integer.toString(tid)))
                        .mapToInt(f -> Integer.parseInt(f[1])).findFirst().orElse(Integer.MIN_VALUE);
                seen[1] = ThreadNice.ofThisThread().orElse(Integer.MIN_VALUE);
            } catch (Exception e) {
                seen[2] = 1;
            }
        });
        t.join();
        assertEquals(0, seen[2]);
        assertEquals(3, seen[0], "ps");
        assertEquals(seen[0], seen[1]);
    }
}
