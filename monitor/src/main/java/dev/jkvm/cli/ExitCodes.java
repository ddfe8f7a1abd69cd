package dev.jkvm.cli;

/** The process exit codes of every jkvm command, in one place (documented in the README and in --help). */
public final class ExitCodes {
    /** Every guest ended cleanly (halted, or exited with status 0), or the command succeeded. */
    public static final int OK = 0;
    /** An internal error in jkvm itself: a bug, or a host failure jkvm could not name better. */
    public static final int INTERNAL = 1;
    /** A usage error: bad option, unknown guest, impossible CPU. Nothing was started. */
    public static final int USAGE = 2;
    /** KVM cannot be used here (and the sandbox was not used or could not start). */
    public static final int KVM_UNAVAILABLE = 3;
    /** At least one guest faulted (triple fault, failed entry, internal error) or exited non-zero. */
    public static final int GUEST_FAULT = 4;
    /** An --expect expectation failed (or a `jkvm regress` experiment regressed against its baseline). */
    public static final int EXPECTATION_FAILED = 5;
    /** `jkvm check --runner`: this machine is not fit for regression runs (a FAIL line says why). */
    public static final int UNFIT_RUNNER = 6;

    /**
     * Stopped by a signal (SIGINT, SIGTERM, SIGHUP): 128 + the signal's number, as shells report a
     * process killed by it (130, 143, 129), but after a clean stop — every VM ended, the summary
     * printed and the recording closed. A second signal exits at once with the same code.
     */
    public static int signalled(StopSignals.Received signal) {
        return 128 + signal.number();
    }

    private ExitCodes() {}
}
