package dev.jkvm.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's CPU time (getrusage(RUSAGE_SELF), microseconds) and memory (/proc/self/status), for
 * benchmarks that put the Java monitor's cost beside a C reference's. Bound here rather than in the
 * bindings: only the benchmarks need it, and only its first two fields.
 */
final class ProcessUsage {
    private static final int RUSAGE_SELF = 0;
    private static final long RUSAGE_SIZE = 144; // struct rusage on x86-64: two timevals and 14 longs
    private static final MethodHandle GETRUSAGE = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("getrusage").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));

    /** User and system CPU time of the whole process so far, in nanoseconds. */
    record Cpu(long userNanos, long systemNanos) {
        Cpu minus(Cpu earlier) {
            return new Cpu(userNanos - earlier.userNanos, systemNanos - earlier.systemNanos);
        }
    }

    private ProcessUsage() {}

    static Cpu cpu() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ru = arena.allocate(RUSAGE_SIZE, 8);
            int rc = (int) GETRUSAGE.invokeExact(RUSAGE_SELF, ru);
            if (rc != 0) throw new IllegalStateException("getrusage failed");
            long user = ru.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + ru.get(ValueLayout.JAVA_LONG, 8) * 1000;
            long sys = ru.get(ValueLayout.JAVA_LONG, 16) * 1_000_000_000L + ru.get(ValueLayout.JAVA_LONG, 24) * 1000;
            return new Cpu(user, sys);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("getrusage", t);
        }
    }

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
