package dev.jkvm.experiment;

/**
 * Steal time over a Linux guest's workload, seen from both sides: what the guest's /proc/stat counted
 * (USER_HZ ticks, as ms) and the host kernel's run-queue wait of its vCPU thread (schedstat, ns)
 * between the workload's ready and summary lines. KVM hands the guest exactly that run-queue wait as
 * steal time, so they differ only by the guest's tick granularity (it accounts steal in whole ticks
 * at each tick) and the moments each side read its counter.
 */
public record LinuxSteal(long guestStealMs, long hostWaitNanos) {
    /** How far apart they may be: two guest ticks at 100 Hz (20 ms) plus 10 % of the host's wait. */
    public long toleranceMs() {
        return 20 + hostWaitNanos / 1_000_000 / 10;
    }

    public boolean agree() {
        return Math.abs(guestStealMs - hostWaitNanos / 1_000_000) <= toleranceMs();
    }
}
