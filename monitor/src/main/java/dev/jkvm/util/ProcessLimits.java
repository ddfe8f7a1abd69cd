package dev.jkvm.util;

import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalLong;

/** A process's resource limits as /proc/PID/limits gives them ("Max open files  20000  20000  files"). */
public final class ProcessLimits {
    /** The value of a limit without one. */
    public static final long UNLIMITED = -1;

    private ProcessLimits() {}

    /** The soft value of limit {@code name} in the text of a limits file: {@link #UNLIMITED}, or empty when the line is missing or unreadable. */
    public static OptionalLong soft(String limits, String name) {
        for (String line : limits.lines().toList()) {
            if (!line.startsWith(name)) continue;
            String soft = line.substring(name.length()).trim().split("\\s+")[0];
            if (soft.equals("unlimited")) return OptionalLong.of(UNLIMITED);
            return soft.matches("\\d+") ? OptionalLong.of(Long.parseLong(soft)) : OptionalLong.empty();
        }
        return OptionalLong.empty();
    }

    /** The soft value of this process's limit {@code name}; empty when /proc cannot tell. */
    public static OptionalLong soft(String name) {
        try {
            return soft(KernelFile.read(Path.of("/proc/self/limits")), name);
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }
}
