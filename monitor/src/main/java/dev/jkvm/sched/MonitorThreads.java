package dev.jkvm.sched;

import dev.jkvm.bindings.NativeException;
import dev.jkvm.bindings.Syscalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Keeps the monitor's own threads (JVM, JIT, GC, JFR, recorder) off the experiment CPU, so the vCPUs
 * there compete only with each other and what the kernel puts there. Threads created later inherit
 * the mask of the thread that creates them; vCPU threads then pin themselves to the experiment CPU.
 * {@link #close} gives every thread that still exists its original mask back.
 */
public final class MonitorThreads implements AutoCloseable {
    private static final Path TASKS = Path.of("/proc/self/task");

    private final Map<Integer, BitSet> original = new HashMap<>();

    private MonitorThreads() {}

    /** Moves every current thread of this process to {@code cpus}. With an empty set it changes nothing. */
    public static MonitorThreads moveAllTo(BitSet cpus) {
        MonitorThreads m = new MonitorThreads();
        if (cpus.isEmpty()) return m;
        for (int tid : tids()) {
            try {
                m.original.put(tid, Syscalls.getAffinity(tid));
                Syscalls.setAffinity(tid, cpus);
            } catch (NativeException e) {
                // ESRCH: the thread ended meanwhile.
            }
        }
        return m;
    }

    static int[] tids() {
        try (Stream<Path> s = Files.list(TASKS)) {
            return s.mapToInt(p -> Integer.parseInt(p.getFileName().toString())).toArray();
        } catch (IOException e) {
            return new int[] {Syscalls.gettid()};
        }
    }

    @Override
    public void close() {
        original.forEach((tid, mask) -> {
            try {
                Syscalls.setAffinity(tid, mask);
            } catch (NativeException e) {
                // The thread is gone; nothing to restore.
            }
        });
    }
}
