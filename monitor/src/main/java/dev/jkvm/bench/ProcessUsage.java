package dev.jkvm.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's memory (/proc/self/status), for benchmarks that put the Java monitor's cost beside a
 * C reference's; its CPU time is {@link dev.jkvm.host.ProcessCpu}.
 */
final class ProcessUsage {
    private ProcessUsage() {}

    /** A field of /proc/self/status in bytes (VmRSS, VmHWM, …). */
    static long statusBytes(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").strip()) * 1024;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("/proc/self/status has no " + field);
    }

    /** Resets the peak RSS (VmHWM) to the current RSS, so the next peak belongs to what runs next. */
    static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException e) {
            // Older kernels or a restricted /proc: the peak then spans the whole process.
        }
    }
}
