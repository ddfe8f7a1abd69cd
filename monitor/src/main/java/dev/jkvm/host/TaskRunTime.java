package dev.jkvm.host;

/**
 * A task's time on a CPU from /proc/PID/task/TID/schedstat: its first field is the scheduler's
 * sum_exec_runtime in nanoseconds, exact (not sampled), and without steal time on kernels with
 * paravirtual steal accounting.
 */
public final class TaskRunTime {
    private TaskRunTime() {}

    /** The run time in a schedstat file's text; -1 when the text is not a schedstat line. */
    public static long parse(String schedstat) {
        String[] f = schedstat.strip().split("\\s+");
        try {
            return f.length >= 1 ? Long.parseLong(f[0]) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A thread of this process; -1 when it is gone or the kernel has no schedstat (CONFIG_SCHED_INFO). */
    public static long ofThread(HostFiles files, int tid) {
        return files.read("/proc/self/task/" + tid + "/schedstat").map(TaskRunTime::parse).orElse(-1L);
    }
}
