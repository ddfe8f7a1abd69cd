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
 * that name the call. Symbols and descriptors come from the jextract-generated {@link LinuxHeaders};
 * this layer only re-links the calls whose errno matters with {@code captureCallState}, which
 * jextract does not emit.
 *
 * <p>None of these handles is linked {@code critical}: KVM_RUN and read can block for as long as a
 * guest runs, and a critical call would stall the garbage collector meanwhile.
 */
public final class Syscalls {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final ValueLayout.OfInt INT = LinuxHeaders.C_INT;
    private static final ValueLayout.OfLong LONG = LinuxHeaders.C_LONG;
    private static final java.lang.foreign.AddressLayout PTR = LinuxHeaders.C_POINTER;

    // ioctl(int fd, unsigned long request, ...): the third argument is variadic, so it is linked
    // once as a long (values, or no argument at all) and once as a pointer (structs).
    private static final MethodHandle IOCTL_LONG = link(LinuxHeaders.ioctl.address(),
            FunctionDescriptor.of(INT, INT, LONG, LONG), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL_PTR = link(LinuxHeaders.ioctl.address(),
            FunctionDescriptor.of(INT, INT, LONG, PTR), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle OPEN = link(LinuxHeaders.open.address(),
            FunctionDescriptor.of(INT, PTR, INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = link(LinuxHeaders.close$address(), LinuxHeaders.close$descriptor());
    private static final MethodHandle READ = link(LinuxHeaders.read$address(), LinuxHeaders.read$descriptor());
    private static final MethodHandle PREAD = link(LinuxHeaders.pread$address(), LinuxHeaders.pread$descriptor());
    private static final MethodHandle MMAP = link(LinuxHeaders.mmap$address(), LinuxHeaders.mmap$descriptor());
    private static final MethodHandle MUNMAP = link(LinuxHeaders.munmap$address(), LinuxHeaders.munmap$descriptor());
    private static final MethodHandle SCHED_SETAFFINITY =
            link(LinuxHeaders.sched_setaffinity$address(), LinuxHeaders.sched_setaffinity$descriptor());
    private static final MethodHandle SETPRIORITY = link(LinuxHeaders.setpriority$address(), LinuxHeaders.setpriority$descriptor());
    private static final MethodHandle SCHED_GETAFFINITY =
            link(LinuxHeaders.sched_getaffinity$address(), LinuxHeaders.sched_getaffinity$descriptor());
    // syscall(long number, ...) for the calls glibc has no wrapper for (perf_event_open, tgkill).
    private static final MethodHandle SYSCALL_5 = link(LinuxHeaders.syscall.address(),
            FunctionDescriptor.of(LONG, LONG, PTR, INT, INT, INT, LONG), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SYSCALL_3 = link(LinuxHeaders.syscall.address(),
            FunctionDescriptor.of(LONG, LONG, LONG, LONG, LONG), Linker.Option.firstVariadicArg(1));

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

    // ---------------------------------------------------------------- files

    /** open(path, flags | O_CLOEXEC); returns the fd. */
    public static int open(String path, int flags) {
        return (int) checked("open " + path, (a, c) -> (int) OPEN.invokeExact(c, a.allocateFrom(path), flags | LinuxHeaders.O_CLOEXEC()));
    }

    public static void close(int fd, String what) {
        checked("close " + what, (a, c) -> (int) CLOSE.invokeExact(c, fd));
    }

    /** read(2) into {@code buffer}; returns the byte count, or -errno (EAGAIN, EINTR) without throwing. */
    public static long readRaw(int fd, MemorySegment buffer, ErrnoCapture capture) {
        try {
            long n = (long) READ.invokeExact(capture.segment(), fd, buffer, buffer.byteSize());
            return n < 0 ? -capture.errno() : n;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** pread(2): fills {@code buffer} from {@code offset} of {@code fd}; returns the bytes read. */
    public static long pread(int fd, MemorySegment buffer, long offset, String what) {
        return checked("pread " + what, (a, c) -> (long) PREAD.invokeExact(c, fd, buffer, buffer.byteSize(), offset));
    }

    // ---------------------------------------------------------------- ioctl

    /** An ioctl with an integer (or no) argument; returns its non-negative result. */
    public static int ioctl(int fd, long request, long arg, String call) {
        return (int) checked(call, (a, c) -> (int) IOCTL_LONG.invokeExact(c, fd, request, arg));
    }

    /** An ioctl whose argument is a struct in native memory; returns its non-negative result. */
    public static int ioctl(int fd, long request, MemorySegment arg, String call) {
        return (int) checked(call, (a, c) -> (int) IOCTL_PTR.invokeExact(c, fd, request, arg));
    }

    /**
     * The hot-path ioctl (KVM_RUN): no exception, no allocation. Returns the result, or -errno on
     * failure so the caller can treat EINTR and EAGAIN as outcomes rather than errors.
     */
    public static int ioctlRaw(int fd, long request, long arg, ErrnoCapture capture) {
        try {
            int rc = (int) IOCTL_LONG.invokeExact(capture.segment(), fd, request, arg);
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
            MemorySegment p = (MemorySegment) MMAP.invokeExact(capture.segment(), MemorySegment.NULL, length, prot, flags, fd, offset);
            if (p.address() == -1L) throw new NativeException("mmap " + what, capture.errno());
            return p.reinterpret(length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void munmap(MemorySegment mapping, String what) {
        checked("munmap " + what, (a, c) -> (int) MUNMAP.invokeExact(c, mapping, mapping.byteSize()));
    }

    // ---------------------------------------------------------------- threads and CPUs

    /** The calling thread's kernel thread id (what /proc/PID/task lists). */
    public static int gettid() {
        return LinuxHeaders.gettid();
    }

    /** sched_setaffinity(tid): restricts thread {@code tid} to {@code cpus}. */
    public static void setAffinity(int tid, BitSet cpus) {
        checked("sched_setaffinity(tid " + tid + ", " + cpus + ")", (a, c) -> {
            MemorySegment mask = a.allocate(CPU_SET_BYTES);
            cpus.stream().forEach(cpu -> {
                if (cpu >= CPU_SET_BYTES * 8) throw new IllegalArgumentException("CPU " + cpu + " is beyond the affinity mask");
                mask.set(ValueLayout.JAVA_BYTE, cpu / 8, (byte) (mask.get(ValueLayout.JAVA_BYTE, cpu / 8) | (1 << (cpu % 8))));
            });
            return (int) SCHED_SETAFFINITY.invokeExact(c, tid, (long) CPU_SET_BYTES, mask);
        });
    }

    /** sched_getaffinity(tid): the CPUs thread {@code tid} may run on, as the kernel has them. */
    public static BitSet getAffinity(int tid) {
        BitSet[] result = new BitSet[1];
        checked("sched_getaffinity(tid " + tid + ")", (a, c) -> {
            MemorySegment mask = a.allocate(CPU_SET_BYTES);
            int rc = (int) SCHED_GETAFFINITY.invokeExact(c, tid, (long) CPU_SET_BYTES, mask);
            if (rc >= 0) result[0] = BitSet.valueOf(mask.toArray(ValueLayout.JAVA_BYTE));
            return rc;
        });
        return result[0];
    }

    /** setpriority(PRIO_PROCESS, tid, nice): on Linux this sets the nice value of that one thread. */
    public static void setNice(int tid, int nice) {
        checked("setpriority(tid " + tid + ", nice " + nice + ")", (a, c) -> (int) SETPRIORITY.invokeExact(c, LinuxHeaders.PRIO_PROCESS(), tid, nice));
    }

    /** tgkill(2): sends {@code signal} to one thread of process {@code tgid}. */
    public static void tgkill(long tgid, int tid, int signal) {
        checked("tgkill(tid " + tid + ", signal " + signal + ")",
                (a, c) -> (long) SYSCALL_3.invokeExact(c, (long) LinuxHeaders.SYS_tgkill(), tgid, (long) tid, (long) signal));
    }

    // ---------------------------------------------------------------- perf

    /** perf_event_open(2); returns the event fd (close-on-exec). */
    public static int perfEventOpen(MemorySegment attr, int pid, int cpu, int groupFd, String what) {
        return (int) checked("perf_event_open " + what, (a, c) -> (long) SYSCALL_5.invokeExact(c,
                (long) LinuxHeaders.SYS_perf_event_open(), attr, pid, cpu, groupFd, LinuxHeaders.PERF_FLAG_FD_CLOEXEC()));
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
        try (Arena arena = Arena.ofConfined()) {
            ErrnoCapture capture = new ErrnoCapture(arena);
            long rc = call.invoke(arena, capture.segment());
            if (rc < 0) throw new NativeException(what, capture.errno());
            return rc;
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
