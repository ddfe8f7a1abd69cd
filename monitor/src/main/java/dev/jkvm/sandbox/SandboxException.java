package dev.jkvm.sandbox;

/**
 * A failure of the sandbox itself (never of the command run inside it): the message names the step
 * that failed and what to do about it; {@link #consoleTail()} holds the end of the guest console
 * when the guest had started, so a caller can show why without opening the log.
 */
public final class SandboxException extends Exception {

    /** Which part of the sandbox's life failed; callers map it to exit codes. */
    public enum Step {
        /** Something the sandbox needs on the host is missing (QEMU, apt, a package, a file). */
        HOST_SETUP,
        /** Preparing the cached kernel, modules, busybox or initramfs failed. */
        ASSETS,
        /** QEMU failed to start or the guest did not become ready (module, mount, boot timeout). */
        BOOT,
        /** The command ran past its timeout and the sandbox was killed. */
        COMMAND_TIMEOUT,
        /** The guest or QEMU died, or the protocol with the guest broke, while a command ran. */
        RUN,
        /** The caller was interrupted; QEMU was killed. */
        INTERRUPTED
    }

    private final Step step;
    private final String consoleTail;

    public SandboxException(Step step, String message) {
        this(step, message, "", null);
    }

    public SandboxException(Step step, String message, Throwable cause) {
        this(step, message, "", cause);
    }

    public SandboxException(Step step, String message, String consoleTail, Throwable cause) {
        super(consoleTail.isBlank() ? message : message + "\n--- last lines of the sandbox console ---\n" + consoleTail.stripTrailing(), cause);
        this.step = step;
        this.consoleTail = consoleTail;
    }

    public Step step() {
        return step;
    }

    /** The last lines of the guest console (kernel and init messages), or "" if it never started. */
    public String consoleTail() {
        return consoleTail;
    }
}
