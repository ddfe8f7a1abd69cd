package dev.jkvm.sched;

import dev.jkvm.util.KernelFile;
import java.nio.file.Path;

/** What perf_event_open is allowed here, and what to tell a user it refuses. */
public final class PerfPermissions {
    private static final Path PARANOID = Path.of("/proc/sys/kernel/perf_event_paranoid");

    private PerfPermissions() {}

    /** kernel.perf_event_paranoid, or Integer.MIN_VALUE when unreadable. */
    public static int paranoidLevel() {
        try {
            return Integer.parseInt(KernelFile.read(PARANOID).strip());
        } catch (Exception e) {
            return Integer.MIN_VALUE;
        }
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Advice appended to a perf_event_open failure. */
    static String advice() {
        int level = paranoidLevel();
        if (level == Integer.MIN_VALUE) return " (this kernel has no perf events: /proc/sys/kernel/perf_event_paranoid is missing)";
        if (level > 2 && !isRoot()) {
            return " (kernel.perf_event_paranoid is " + level + "; context-switch records of our own threads need 2 or less:"
                    + " sysctl kernel.perf_event_paranoid=2, or run as root)";
        }
        return " (kernel.perf_event_paranoid is " + level + ")";
    }
}
