package dev.jkvm.exits;

/** How one guest (one VM's vCPU) ended. */
public sealed interface GuestResult {

    /** A one-line human description for the end-of-run summary. */
    String describe();

    /** True if this result means the guest did what it was meant to (exit code 0). */
    boolean clean();

    /** The guest executed HLT with nothing left to do. */
    record Halted() implements GuestResult {
        public String describe() { return "halted"; }
        public boolean clean() { return true; }
    }

    /** The guest wrote its exit status to the debug-exit port. */
    record Exited(long status) implements GuestResult {
        public String describe() { return "exited with status " + status; }
        public boolean clean() { return status == 0; }
    }

    /** The run's duration elapsed, or the run was stopped, while the guest was still running. */
    record Stopped(String why) implements GuestResult {
        public String describe() { return "stopped (" + why + ")"; }
        public boolean clean() { return true; }
    }

    /** The guest faulted: triple fault, failed VM entry, a KVM internal error, an exit jkvm cannot serve. */
    record Faulted(String exitReason, String detail) implements GuestResult {
        public String describe() { return "faulted: " + exitReason + (detail.isEmpty() ? "" : " (" + detail + ")"); }
        public boolean clean() { return false; }
    }

    /** The monitor failed for this guest (a host-side error, not the guest's doing). */
    record MonitorError(String message) implements GuestResult {
        public String describe() { return "monitor error: " + message; }
        public boolean clean() { return false; }
    }
}
