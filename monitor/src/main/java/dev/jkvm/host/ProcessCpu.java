package dev.jkvm.host;

import dev.jkvm.bindings.Syscalls;

/**
 * User and system CPU time of this whole process (getrusage(RUSAGE_SELF), microseconds), every thread
 * counted, the JIT's and the exited ones' too: to say whether a stretch of jkvm's work was CPU work or
 * waiting.
 */
public record ProcessCpu(long userNanos, long systemNanos) {

    /** The process's CPU time so far. */
    public static ProcessCpu now() {
        long[] times = Syscalls.processCpuNanos();
        return new ProcessCpu(times[0], times[1]);
    }

    /** The CPU time used since {@code earlier}. */
    public ProcessCpu minus(ProcessCpu earlier) {
        return new ProcessCpu(userNanos - earlier.userNanos, systemNanos - earlier.systemNanos);
    }
}
