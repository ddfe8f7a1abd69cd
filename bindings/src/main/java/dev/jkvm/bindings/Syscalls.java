package dev.jkvm.bindings;

import dev.jkvm.bindings.generated.LinuxHeaders;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.BitSet;

/**
 * The system calls jkvm makes, with errno captured and failures turned into {@link NativeException}s
 * that name the call.
 *
 * <p>Two downcalls serve them all. Each distinct C signature linked costs a generated stub, about
 * 5–30 ms of a cold start (on this project's 2-CPU host), and a handle per libc wrapper came to 20
 * stubs before the first guest ran. So every call but one goes through {@code syscall(2)}, whose
 * arguments are all register-sized: one signature, pointers passed as their addresses (the callers'
 * segments are alive for the call), results as the kernel's long. The exception is the hot path,
 * {@code ioctl} (KVM_RUN), linked on its own so that a guest exit costs what a C monitor's does.
 * Neither handle is linked {@code critical}: KVM_RUN and read can block for as long as a guest runs,
 * and a critical call would stall the garbage collector meanwhile.
 */
public final class Syscalls {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final ValueLayout.OfInt INT = LinuxHeaders.C_INT;
    private static final ValueLayout.OfLong LONG = LinuxHeaders.C_LONG;

    // ioctl(int fd, unsigned long request, ...): the third argument is variadic, a value or a
    // pointer's address alike.
    private static final MethodHandle IOCTL = link(LinuxHeaders.ioctl.address(),
            FunctionDescriptor.of(INT, INT, LONG, LONG), Linker.Option.firstVariadicArg(2));
    // long syscall(long number, ...): the number and six arguments (the kernel ignores those a call does not take).
    private static final MethodHandle SYSCALL = link(LinuxHeaders.syscall.address(),
            FunctionDescriptor.of(LONG, LONG, LONG, LONG, LONG, LONG, LONG, LONG), Linker.Option.firstVariadicArg(1));

    // x86-64 system call numbers that the generated headers lack (checked against gcc's <sys/syscall.h>
    // by SyscallsTest.handWrittenNumbersMatchGcc).
    static final long SYS_READ = 0;
    static final long SYS_OPEN = 2;
    static final long SYS_CLOSE = 3;
    static final long SYS_MMAP = 9;
    static final long SYS_MUNMAP = 11;
    static final long SYS_PREAD64 = 17;
    static final long SYS_MADVISE = 28;
    static final long SYS_SETPRIORITY = 141;
    static final long SYS_SCHED_SETAFFINITY = 203;
    static final long SYS_SCHED_GETAFFINITY = 204;
    static final long SYS_GETRUSAGE = 98;

    /** getrusage(2)'s who for the calling process, and struct rusage's size and its two times' offsets (checked against gcc's {@code <sys/resource.h>}). */
    static final int RUSAGE_SELF = 0;
    static final long RUSAGE_SIZE = 144, RU_UTIME = 0, RU_STIME = 16;

    /** madvise(2) advice (Linux 5.14+) that the generated headers lack; checked against gcc's {@code <sys/mman.h>}. */
    static final int MADV_POPULATE_WRITE = 23;

    /** Bytes of the affinity mask passed to the kernel: room for 1024 CPUs, like glibc's cpu_set_t. */
    private static final int CPU_SET_BYTES = (int) dev.jkvm.bindings.generated.cpu_set_t.layout().byteSize();

    private Syscalls() {}

    private static MethodHandle link(MemorySegment address, FunctionDescriptor d, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = ErrnoCapture.OPTION;
        System.arraycopy(extra, 0, options, 1, extra.length);
        // The captured-state segment becomes the handle's first parameter.
        return LINKER.downcallHandle(address, d, options);
    }

    /**
     * A native segment's address as a system call argument. A heap segment has none (its address()
     * is an offset into a Java array), so passing one would hand the kernel a wrong pointer.
     */
    private static long addressOf(MemorySegment s) {
        if (!s.isNative()) throw new IllegalArgumentException("a system call needs native memory, got a heap segment");
        return s.address();
    }

    /** System call {@code number} with up to six arguments; -1 with errno in {@code capture} on failure. */
    private static long syscall(MemorySegment capture, long number, long a, long b, long c, long d, long e, long f) throws Throwable {
        return (long) SYSCALL.invokeExact(capture, number, a, b, c, d, e, f);
    }

    // ---------------------------------------------------------------- files

    /** open(path, flags | O_CLOEXEC); returns the fd. */
    public static int open(String path, int flags) {
        return (int) checked("open " + path, (a, c) -> syscall(c, SYS_OPEN, a.allocateFrom(path).address(), flags | LinuxHeaders.O_CLOEXEC(), 0, 0, 0, 0));
    }

    public static void close(int fd, String what) {
        // Never again on EINTR: Linux has released the fd by then, and it may already name another file.
        checked("close " + what, (a, c) -> syscall(c, SYS_CLOSE, fd, 0, 0, 0, 0, 0), 1);
    }

    /** read(2) into {@code buffer}; returns the byte count, or -errno (EAGAIN, EINTR) without throwing. */
    public static long readRaw(int fd, MemorySegment buffer, ErrnoCapture capture) {
        try {
            long n = syscall(capture.segment(), SYS_READ, fd, addressOf(buffer), buffer.byteSize(), 0, 0, 0);
            return n < 0 ? -capture.errno() : n;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** pread(2): fills {@code buffer} from {@code offset} of {@code fd}; returns the bytes read. */
    public static long pread(int fd, MemorySegment buffer, long offset, String what) {
        return checked("pread " + what, (a, c) -> syscall(c, SYS_PREAD64, fd, addressOf(buffer), buffer.byteSize(), offset, 0, 0));
    }

    // ---------------------------------------------------------------- ioctl

    /** An ioctl with an integer (or no) argument; returns its non-negative result. */
    public static int ioctl(int fd, long request, long arg, String call) {
        return (int) checked(call, (a, c) -> (int) IOCTL.invokeExact(c, fd, request, arg));
    }

    /** An ioctl whose argument is a struct in native memory; returns its non-negative result. */
    public static int ioctl(int fd, long request, MemorySegment arg, String call) {
        return (int) checked(call, (a, c) -> (int) IOCTL.invokeExact(c, fd, request, addressOf(arg)));
    }

    /**
     * The hot-path ioctl (KVM_RUN): no exception, no allocation. Returns the result, or -errno on
     * failure so the caller can treat EINTR and EAGAIN as outcomes rather than errors.
     */
    public static int ioctlRaw(int fd, long request, long arg, ErrnoCapture capture) {
        try {
            int rc = (int) IOCTL.invokeExact(capture.segment(), fd, request, arg);
            return rc < 0 ? -capture.errno() : rc;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- memory

    /** mmap(2); the returned segment has exactly {@code length} bytes. */
    public static MemorySegment mmap(long length, int prot, int flags, int fd, long offset, String what) {
        try (Arena arena = Arena.ofConfined()) {
            ErrnoCapture capture = new ErrnoCapture(arena);
            long p = syscall(capture.segment(), SYS_MMAP, 0, length, prot, flags, fd, offset);
            if (p == -1L) throw new NativeException("mmap " + what, capture.errno());
            return MemorySegment.ofAddress(p).reinterpret(length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void munmap(MemorySegment mapping, String what) {
        checked("munmap " + what, (a, c) -> syscall(c, SYS_MUNMAP, addressOf(mapping), mapping.byteSize(), 0, 0, 0, 0));
    }

    /**
     * madvise(MADV_POPULATE_WRITE) on the whole of {@code mapping}: the kernel faults every page in
     * writable in one call, as a write of each would (every page becomes resident), keeping what the
     * pages hold. Kernels before 5.14 refuse the advice (EINVAL).
     */
    public static void populateWrite(MemorySegment mapping, String what) {
        checked("madvise(MADV_POPULATE_WRITE) " + what, (a, c) -> syscall(c, SYS_MADVISE, addressOf(mapping), mapping.byteSize(), MADV_POPULATE_WRITE, 0, 0, 0));
    }

    // ---------------------------------------------------------------- threads and CPUs

    /** The calling thread's kernel thread id (what /proc/PID/task lists). */
    public static int gettid() {
        return (int) checked("gettid", (a, c) -> syscall(c, LinuxHeaders.SYS_gettid(), 0, 0, 0, 0, 0, 0));
    }

    /** sched_setaffinity(tid): restricts thread {@code tid} to {@code cpus}. */
    public static void setAffinity(int tid, BitSet cpus) {
        checked("sched_setaffinity(tid " + tid + ", " + cpus + ")", (a, c) -> {
            MemorySegment mask = a.allocate(CPU_SET_BYTES);
            cpus.stream().forEach(cpu -> {
                if (cpu >= CPU_SET_BYTES * 8) throw new IllegalArgumentException("CPU " + cpu + " is beyond the affinity mask");
                mask.set(ValueLayout.JAVA_BYTE, cpu / 8, (byte) (mask.get(ValueLayout.JAVA_BYTE, cpu / 8) | (1 << (cpu % 8))));
            });
            return syscall(c, SYS_SCHED_SETAFFINITY, tid, CPU_SET_BYTES, addressOf(mask), 0, 0, 0);
        });
    }

    /** sched_getaffinity(tid): the CPUs thread {@code tid} may run on, as the kernel has them. */
    public static BitSet getAffinity(int tid) {
        BitSet[] result = new BitSet[1];
        checked("sched_getaffinity(tid " + tid + ")", (a, c) -> {
            MemorySegment mask = a.allocate(CPU_SET_BYTES);
            long rc = syscall(c, SYS_SCHED_GETAFFINITY, tid, CPU_SET_BYTES, addressOf(mask), 0, 0, 0); // the kernel's: bytes it wrote
            if (rc >= 0) result[0] = BitSet.valueOf(mask.toArray(ValueLayout.JAVA_BYTE));
            return rc;
        });
        return result[0];
    }

    /**
     * getrusage(RUSAGE_SELF): this process's user and system CPU time so far, every thread's (the
     * ended ones' too), in nanoseconds: {user, system}. Through the one syscall(2) downcall, so that
     * reading it where jkvm starts links no new code.
     */
    public static long[] processCpuNanos() {
        long[] times = new long[2];
        checked("getrusage", (a, c) -> {
            MemorySegment usage = a.allocate(RUSAGE_SIZE, 8);
            long rc = syscall(c, SYS_GETRUSAGE, RUSAGE_SELF, addressOf(usage), 0, 0, 0, 0);
            if (rc >= 0) {
                times[0] = timevalNanos(usage, RU_UTIME);
                times[1] = timevalNanos(usage, RU_STIME);
            }
            return rc;
        });
        return times;
    }

    /** A struct timeval (seconds, microseconds) at {@code offset}, in nanoseconds. */
    private static long timevalNanos(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_LONG, offset) * 1_000_000_000L + s.get(ValueLayout.JAVA_LONG, offset + 8) * 1000;
    }

    /** setpriority(PRIO_PROCESS, tid, nice): on Linux this sets the nice value of that one thread. */
    public static void setNice(int tid, int nice) {
        checked("setpriority(tid " + tid + ", nice " + nice + ")", (a, c) -> syscall(c, SYS_SETPRIORITY, LinuxHeaders.PRIO_PROCESS(), tid, nice, 0, 0, 0));
    }

    /** tgkill(2): sends {@code signal} to one thread of process {@code tgid}. */
    public static void tgkill(long tgid, int tid, int signal) {
        checked("tgkill(tid " + tid + ", signal " + signal + ")",
                (a, c) -> syscall(c, LinuxHeaders.SYS_tgkill(), tgid, tid, signal, 0, 0, 0));
    }

    // ---------------------------------------------------------------- perf

    /** perf_event_open(2); returns the event fd (close-on-exec). */
    public static int perfEventOpen(MemorySegment attr, int pid, int cpu, int groupFd, String what) {
        return (int) checked("perf_event_open " + what, (a, c) -> syscall(c,
                LinuxHeaders.SYS_perf_event_open(), addressOf(attr), pid, cpu, groupFd, LinuxHeaders.PERF_FLAG_FD_CLOEXEC(), 0));
    }

    /** A downcall whose first argument is the errno capture segment; returns the call's result widened to long. */
    @FunctionalInterface
    private interface Call {
        long invoke(Arena arena, MemorySegment capture) throws Throwable;
    }

    /**
     * Runs a non-hot downcall with its own confined arena and errno capture, and turns a negative
     * result into a {@link NativeException} naming {@code what}.
     */
    private static long checked(String what, Call call) {
        return checked(what, call, EINTR_RETRIES);
    }

    /**
     * Tries of a call that failed with EINTR: a signal reached the thread during it (the JVM's own,
     * such as JFR's sampler or a stop signal, or jkvm's kick), and the kernel gave up rather than
     * finish (KVM_CREATE_VM's MMU notifier does, taking the process's memory locks). The call did
     * nothing then, so it is made again, as QEMU does for KVM_CREATE_VM; bounded, so a thread under an
     * endless storm still fails with the errno instead of spinning forever. (1,000 was too few for a
     * signal every 20 µs in CI, where a KVM_CREATE_VM takes longer than here.)
     */
    private static final int EINTR_RETRIES = 100_000;

    private static long checked(String what, Call call, int tries) {
        try (Arena arena = Arena.ofConfined()) {
            ErrnoCapture capture = new ErrnoCapture(arena);
            for (int attempt = 1; ; attempt++) {
                long rc = call.invoke(arena, capture.segment());
                if (rc >= 0) return rc;
                int errno = capture.errno();
                if (errno != LinuxHeaders.EINTR() || attempt >= tries) throw new NativeException(what, errno);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("unexpected checked exception from a downcall", t);
    }
}
