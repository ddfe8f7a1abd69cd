package dev.jkvm.sched;

import dev.jkvm.bindings.Syscalls;
import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;

/**
 * Which CPUs exist and which this process may use, and the checks an experiment CPU must pass
 * before any VM starts.
 */
public final class CpuPlacement {
    private static final Path ONLINE = Path.of("/sys/devices/system/cpu/online");

    private CpuPlacement() {}

    /** CPUs the kernel has online (parses the "0-3,5" list format). */
    public static BitSet online() {
        try {
            return parseList(Files.readString(ONLINE).strip());
        } catch (IOException e) {
            BitSet all = new BitSet();
            all.set(0, Runtime.getRuntime().availableProcessors());
            return all;
        }
    }

    /** CPUs this process may run on (its affinity mask, which a cpuset narrows). */
    public static BitSet allowed() {
        return Syscalls.getAffinity(0);
    }

    /** Checks that {@code cpu} exists and is allowed; throws a {@link UsageException} naming the valid CPUs otherwise. */
    public static void requireUsable(int cpu) {
        BitSet online = online();
        if (cpu < 0 || !online.get(cpu)) {
            throw new UsageException("CPU " + cpu + " does not exist (online CPUs: " + formatList(online) + ")");
        }
        BitSet allowed = allowed();
        if (!allowed.get(cpu)) {
            throw new UsageException("CPU " + cpu + " is not allowed for this process by its affinity/cpuset (allowed: " + formatList(allowed) + ")");
        }
    }

    /** The allowed CPUs without {@code cpu}: where the monitor's other threads go. Empty on a one-CPU machine. */
    public static BitSet allowedExcept(int cpu) {
        BitSet rest = allowed();
        rest.clear(cpu);
        return rest;
    }

    public static BitSet parseList(String list) {
        BitSet set = new BitSet();
        if (list.isBlank()) return set;
        for (String part : list.split(",")) {
            String p = part.strip();
            int dash = p.indexOf('-');
            if (dash < 0) {
                set.set(Integer.parseInt(p));
            } else {
                set.set(Integer.parseInt(p.substring(0, dash)), Integer.parseInt(p.substring(dash + 1)) + 1);
            }
        }
        return set;
    }

    /** "0-3,5" */
    public static String formatList(BitSet set) {
        StringBuilder sb = new StringBuilder();
        int i = set.nextSetBit(0);
        while (i >= 0) {
            int end = set.nextClearBit(i) - 1;
            if (!sb.isEmpty()) sb.append(',');
            sb.append(i);
            if (end > i) sb.append('-').append(end);
            i = set.nextSetBit(end + 1);
        }
        return sb.isEmpty() ? "none" : sb.toString();
    }
}
