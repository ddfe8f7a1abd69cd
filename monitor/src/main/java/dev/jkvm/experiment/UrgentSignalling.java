package dev.jkvm.experiment;

import dev.jkvm.bindings.Syscalls;
import dev.jkvm.util.ThreadNice;

/**
 * Runs the stop's signalling of every vCPU thread at the highest CPU weight (nice -20) the calling
 * thread may take, and puts its nice value back afterwards.
 *
 * <p>Why: the signalling thread shares the monitor's CPUs with everything else. Measured with 64
 * VMs and two busy loops on CPU 0 (2026-11-27, tracefs signal_generate and sched_switch): it sent
 * the first signal, was preempted for 5.3 ms, then sent the other 63 within 0.6 ms; meanwhile the
 * unsignalled guests kept getting slices inside KVM_RUN after the stop instant. Without the
 * privilege (CAP_SYS_NICE or RLIMIT_NICE) it signals at its own priority, as before.
 *
 * <p>Made by the thread that will stop the run, before the gate opens: the nice value to restore is
 * read then (a file read and class loading at the stop would delay the first signal). Another thread
 * stopping (a signal handler's) signals at its own priority.
 */
final class UrgentSignalling {
    private static final int HIGHEST = -20;

    private final int owner = Syscalls.gettid();
    /** The owner's nice value, or null if it could not be read (then it is left alone). */
    /** The owner's nice value to restore, or null if unreadable. */
    private final Integer before = ThreadNice.ofThisThread().stream().boxed().findFirst().orElse(null);

    UrgentSignalling() {
        // The stop's system calls run here once first (setting the nice it has; signal 0 only checks the
        // thread): their first calls in a JVM link their downcalls and load classes, measured at 21 ms from
        // the stop instant to the first signal under load (64 VMs, 2026-11-27), while unsignalled guests ran.
        if (before != null) trySetNice(owner, before);
        Syscalls.tgkill(ProcessHandle.current().pid(), owner, 0);
    }

    void run(Runnable signalAll) {
        boolean raised = before != null && before > HIGHEST && Syscalls.gettid() == owner && trySetNice(owner, HIGHEST);
        try {
            signalAll.run();
        } finally {
            if (raised) trySetNice(owner, before);
        }
    }

    private static boolean trySetNice(int tid, int nice) {
        try {
            Syscalls.setNice(tid, nice);
            return true;
        } catch (RuntimeException e) {
            return false; // EPERM without the privilege: signal at the thread's own priority
        }
    }
}
