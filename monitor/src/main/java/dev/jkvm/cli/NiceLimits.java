package dev.jkvm.cli;

import dev.jkvm.util.Capabilities;
import dev.jkvm.util.ProcessLimits;
import dev.jkvm.util.ThreadNice;
import dev.jkvm.util.UsageException;
import java.util.Map;

/**
 * Which --nice values this process may give its vCPU threads, checked before anything starts: the
 * kernel clamps a value outside -20..19 without a word, and refuses (EACCES) a value below the
 * thread's own unless the process has CAP_SYS_NICE or RLIMIT_NICE allows it (nice n needs a limit of
 * at least 20 - n), which an unprivileged run met only after creating its VMs, as an internal error.
 */
final class NiceLimits {
    static final int MIN = -20;
    static final int MAX = 19;

    private NiceLimits() {}

    /**
     * The lowest nice a thread of this process may be given (the kernel's can_nice).
     *
     * @param rlimitNice RLIMIT_NICE's soft value; negative for unlimited
     * @param current    the nice the threads start with (the process's)
     */
    static int lowestAllowed(boolean capSysNice, long rlimitNice, int current) {
        if (capSysNice || rlimitNice < 0 || rlimitNice >= 20 - MIN) return MIN;
        return (int) Math.min(current, 20 - rlimitNice);
    }

    /** Fails with a usage error naming the first value out of range or beyond what this process may set. */
    static void require(Map<Integer, Integer> niceByVm) {
        for (Map.Entry<Integer, Integer> e : niceByVm.entrySet()) {
            if (e.getValue() < MIN || e.getValue() > MAX) {
                throw new UsageException("--nice vm" + e.getKey() + "=" + e.getValue() + ": nice values go from " + MIN + " to " + MAX + ", got " + e.getValue());
            }
        }
        if (niceByVm.isEmpty()) return;
        int lowest = niceByVm.values().stream().mapToInt(Integer::intValue).min().orElseThrow();
        int allowed = lowestAllowed(Capabilities.ofThisProcess(Capabilities.CAP_SYS_NICE), rlimitNice(), currentNice());
        if (lowest >= allowed) return;
        int vm = niceByVm.entrySet().stream().filter(e -> e.getValue() == lowest).findFirst().orElseThrow().getKey();
        throw new UsageException(String.format("--nice vm%d=%d: this process may set nice %d and above; lower needs CAP_SYS_NICE"
                + " (run as root) or ulimit -e %d (RLIMIT_NICE)", vm, lowest, allowed, 20 - lowest));
    }

    /** RLIMIT_NICE's soft value ("Max nice priority" in /proc/self/limits), -1 for unlimited, 0 when unknown. */
    static long rlimitNice() {
        return ProcessLimits.soft("Max nice priority").orElse(0); // unknown (not Linux /proc): as the usual 0
    }

    /** This thread's nice, the one the vCPU threads it starts inherit; 0 when unknown. */
    static int currentNice() {
        return ThreadNice.ofThisThread().orElse(0);
    }
}
