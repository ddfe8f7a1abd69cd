package dev.jkvm.host;

import java.util.HashMap;
import java.util.Map;

/**
 * One CPU's line of /proc/stat, in nanoseconds. The kernel keeps these counters in nanoseconds and
 * prints them in USER_HZ ticks (100 a second on x86, whatever CONFIG_HZ is), truncated. Idle time is
 * measured exactly by the tickless idle code (then truncated to 10 ms on print) and steal time comes
 * from the hypervisor's clock, while user and system time are sampled a tick at a time; so the time
 * a CPU was busy over an interval is best taken as the interval minus idle, iowait and steal.
 */
public record CpuTimes(long user, long nice, long system, long idle, long iowait, long irq, long softirq, long steal) {
    /** USER_HZ, the unit of /proc/stat: fixed at 100 on x86 (the ABI of clock_t), independent of CONFIG_HZ. */
    public static final long TICK_NANOS = 10_000_000;

    /** Time the CPU was not running anything: idle, waiting for I/O with nothing to run, or taken by the hypervisor. */
    public long notRunningNanos() {
        return idle + iowait + steal;
    }

    /** Every "cpuN" line of /proc/stat's text (not the "cpu" total), by CPU number. */
    public static Map<Integer, CpuTimes> parse(String procStat) {
        Map<Integer, CpuTimes> cpus = new HashMap<>();
        for (String line : procStat.split("\n")) {
            if (!line.startsWith("cpu") || line.length() < 4 || !Character.isDigit(line.charAt(3))) continue;
            String[] f = line.strip().split("\\s+");
            if (f.length < 9) continue; // steal is the 8th counter (kernels since 2.6.11)
            long[] v = new long[8];
            for (int i = 0; i < 8; i++) v[i] = Long.parseLong(f[i + 1]) * TICK_NANOS;
            cpus.put(Integer.parseInt(f[0].substring(3)), new CpuTimes(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]));
        }
        return cpus;
    }
}
