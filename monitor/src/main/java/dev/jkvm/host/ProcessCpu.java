package dev.jkvm.host;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * User and system CPU time of this whole process (getrusage(RUSAGE_SELF), microseconds), every thread
 * counted, the JIT's and the exited ones' too. Bound here rather than in the bindings: only these two
 * fields are read, to say whether a stretch of jkvm's work was CPU work or waiting.
 */
public record ProcessCpu(long userNanos, long systemNanos) {
    private static final int RUSAGE_SELF = 0;
    private static final long RUSAGE_SIZE = 144; // struct rusage on x86-64: two timevals and 14 longs
    private static final MethodHandle GETRUSAGE = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("getrusage").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));

    /** The process's CPU time so far. */
    public static ProcessCpu now() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ru = arena.allocate(RUSAGE_SIZE, 8);
            int rc = (int) GETRUSAGE.invokeExact(RUSAGE_SELF, ru);
            if (rc != 0) throw new IllegalStateException("getrusage failed");
            long user = ru.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + ru.get(ValueLayout.JAVA_LONG, 8) * 1000;
            long sys = ru.get(ValueLayout.JAVA_LONG, 16) * 1_000_000_000L + ru.get(ValueLayout.JAVA_LONG, 24) * 1000;
            return new ProcessCpu(user, sys);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("getrusage", t);
        }
    }

    /** The CPU time used since {@code earlier}. */
    public ProcessCpu minus(ProcessCpu earlier) {
        return new ProcessCpu(userNanos - earlier.userNanos, systemNanos - earlier.systemNanos);
    }
}
