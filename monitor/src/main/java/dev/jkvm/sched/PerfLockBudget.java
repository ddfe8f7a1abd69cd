package dev.jkvm.sched;

import dev.jkvm.util.Capabilities;
import dev.jkvm.util.KernelFile;
import dev.jkvm.util.ProcessLimits;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * How many pages of perf ring this process may map: the kernel's perf_mmap charges each ring (its
 * data pages plus the control page) first to the user's share, kernel.perf_event_mlock_kb per online
 * CPU, and beyond that to the process's RLIMIT_MEMLOCK, unless the process has CAP_IPC_LOCK or
 * kernel.perf_event_paranoid is -1. Past the sum the mmap fails with EPERM: an unprivileged user with
 * the usual 516 KiB × 2 CPUs + 8 MiB could map 135 rings of 16 data pages, and the 136th vCPU's
 * switches went unrecorded (2026-11-27, 256 VMs). Pages the user's other processes hold against the
 * per-user share are not visible here, so this is the most the process can hope for.
 *
 * @param pages       the pages (4 KiB) available, or -1 when the kernel sets no limit here
 * @param explanation where the number comes from, for the user
 */
public record PerfLockBudget(long pages, String explanation) {
    /** A ring's pages: perf's control page plus a power of two of data pages. */
    public static long ringPages(int dataPages) {
        return 1L + dataPages;
    }

    public static PerfLockBudget unlimited(String why) {
        return new PerfLockBudget(-1, why);
    }

    /**
     * The budget from its parts.
     *
     * @param mlockKb      kernel.perf_event_mlock_kb (per online CPU)
     * @param onlineCpus   CPUs online
     * @param memlockBytes RLIMIT_MEMLOCK's soft value; negative for unlimited
     */
    static PerfLockBudget of(long mlockKb, int onlineCpus, long memlockBytes) {
        if (memlockBytes < 0) return unlimited("ulimit -l is unlimited");
        long kib = mlockKb * onlineCpus + (memlockBytes >> 10);
        return new PerfLockBudget(kib / (PerfRing.PAGE >> 10), String.format(
                "%d KiB: kernel.perf_event_mlock_kb %d × %d CPUs + ulimit -l %d KiB", kib, mlockKb, onlineCpus, memlockBytes >> 10));
    }

    /** This process's budget, read from /proc and /sys; unlimited when a part cannot be read (then the kernel says no, if it does). */
    public static PerfLockBudget here() {
        return read(path -> {
            try {
                return Optional.of(KernelFile.read(Path.of(path)));
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
        });
    }

    /** The budget from the kernel files' text ({@code files}: absolute path → text, empty when unreadable). */
    public static PerfLockBudget read(Function<String, Optional<String>> files) {
        if (files.apply("/proc/self/status").map(s -> Capabilities.effective(s, Capabilities.CAP_IPC_LOCK)).orElse(false)) {
            return unlimited("the process has CAP_IPC_LOCK");
        }
        if (files.apply("/proc/sys/kernel/perf_event_paranoid").map(String::strip).filter("-1"::equals).isPresent()) {
            return unlimited("kernel.perf_event_paranoid is -1");
        }
        try {
            Optional<String> mlockKb = files.apply("/proc/sys/kernel/perf_event_mlock_kb");
            Optional<String> online = files.apply("/sys/devices/system/cpu/online");
            OptionalLong memlock = files.apply("/proc/self/limits").map(l -> ProcessLimits.soft(l, "Max locked memory")).orElse(OptionalLong.empty());
            if (mlockKb.isEmpty() || online.isEmpty() || memlock.isEmpty()) return unlimited("the limits are not exposed");
            int cpus = CpuPlacement.parseList(online.get().strip()).cardinality();
            if (cpus == 0) return unlimited("no CPUs online in \"" + online.get().strip() + "\"");
            return of(Long.parseLong(mlockKb.get().strip()), cpus, memlock.getAsLong());
        } catch (RuntimeException e) {
            return unlimited("the limits are unreadable: " + e.getMessage());
        }
    }

    public boolean isUnlimited() {
        return pages < 0;
    }

    /**
     * The most data pages, a power of two no larger than {@code preferred}, that each of {@code rings}
     * rings may have within this budget; 0 when not even one data page each fits.
     */
    public int dataPagesFor(int rings, int preferred) {
        if (isUnlimited() || rings <= 0) return preferred;
        for (int p = preferred; p >= 1; p >>= 1) {
            if (rings * ringPages(p) <= pages) return p;
        }
        return 0;
    }

    /** How many rings of {@code dataPages} fit. */
    public long ringsOf(int dataPages) {
        return isUnlimited() ? Long.MAX_VALUE : pages / ringPages(dataPages);
    }
}
