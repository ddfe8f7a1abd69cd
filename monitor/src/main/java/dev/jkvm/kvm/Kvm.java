package dev.jkvm.kvm;

import dev.jkvm.bindings.ErrnoCapture;
import dev.jkvm.bindings.Syscalls;
import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.bindings.generated.kvm_cpuid2;
import dev.jkvm.bindings.generated.kvm_cpuid_entry2;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.BooleanSupplier;

/** Owner of an open /dev/kvm: system-wide queries, and the factory of VMs. */
public final class Kvm implements AutoCloseable {
    /** The only KVM API version there has ever been in mainline; anything else is not KVM as we know it. */
    public static final int EXPECTED_API_VERSION = 12;
    /** Room for KVM_GET_SUPPORTED_CPUID's answer; today's kernels report well under 100 entries. */
    private static final int MAX_CPUID_ENTRIES = 256;

    private final int fd;
    private boolean closed;

    private Kvm(int fd) {
        this.fd = fd;
    }

    public static Kvm open() {
        return new Kvm(Syscalls.open(KvmAvailability.DEV_KVM.toString(), LinuxHeaders.O_RDWR()));
    }

    public int apiVersion() {
        return Syscalls.ioctl(fd, LinuxHeaders.KVM_GET_API_VERSION(), 0, "KVM_GET_API_VERSION");
    }

    /**
     * Runs KVM_RUN's call path ({@link Vcpu#run}'s ioctl with its errno capture) until the JIT has
     * compiled it to allocate nothing, or until {@code budgetNanos} is spent; true when it allocates
     * nothing now. Interpreted or C1-compiled, each call allocates a 40-byte segment (the JDK slices the
     * capture memory per call; C2's escape analysis removes that). A vCPU thread whose first KVM_RUN
     * allocates can meet a pending collection: it then waits for the heap lock, and the lock passes from
     * vCPU thread to vCPU thread, each of which must first get its turn on the shared CPU (seen: 40
     * threads asleep from 28 ms after the start gate until a collection's safepoint began 1.2 s later).
     * The calls alternate a successful ioctl (KVM_GET_API_VERSION) with a failing one (fd -1, EBADF),
     * so both of the path's branches are compiled, and neither touches a VM. Ends early once
     * {@code cancelled} says so (checked every 2,000 calls).
     */
    public boolean compileRunPath(long budgetNanos, BooleanSupplier cancelled) {
        var threads = java.lang.management.ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t ? t : null;
        if (threads == null || !threads.isThreadAllocatedMemoryEnabled()) return false;
        long deadline = System.nanoTime() + budgetNanos;
        try (Arena arena = Arena.ofConfined()) {
            ErrnoCapture capture = new ErrnoCapture(arena);
            long version = LinuxHeaders.KVM_GET_API_VERSION(), run = LinuxHeaders.KVM_RUN();
            do {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 1_000; i++) {
                    Syscalls.ioctlRaw(fd, version, 0, capture);
                    Syscalls.ioctlRaw(-1, run, 0, capture);
                }
                if (threads.getCurrentThreadAllocatedBytes() == before) return true;
            } while (System.nanoTime() < deadline && !cancelled.getAsBoolean());
        }
        return false;
    }

    /** KVM_CHECK_EXTENSION: 0 when the capability is absent, otherwise its (often boolean) value. */
    public int checkExtension(int capability) {
        return Syscalls.ioctl(fd, LinuxHeaders.KVM_CHECK_EXTENSION(), capability, "KVM_CHECK_EXTENSION");
    }

    /** Bytes to mmap from a vCPU fd: struct kvm_run plus the pages that follow it (PIO data, ring). */
    public int vcpuMmapSize() {
        return Syscalls.ioctl(fd, LinuxHeaders.KVM_GET_VCPU_MMAP_SIZE(), 0, "KVM_GET_VCPU_MMAP_SIZE");
    }

    /** KVM_GET_SUPPORTED_CPUID as a struct kvm_cpuid2 allocated in {@code arena}, ready for KVM_SET_CPUID2. */
    public MemorySegment supportedCpuid(Arena arena) {
        MemorySegment cpuid = arena.allocate(kvm_cpuid2.layout().byteSize() + MAX_CPUID_ENTRIES * kvm_cpuid_entry2.layout().byteSize(), 8);
        kvm_cpuid2.nent(cpuid, MAX_CPUID_ENTRIES);
        Syscalls.ioctl(fd, LinuxHeaders.KVM_GET_SUPPORTED_CPUID(), cpuid, "KVM_GET_SUPPORTED_CPUID");
        return cpuid;
    }

    public Vm createVm() {
        int vmFd = Syscalls.ioctl(fd, LinuxHeaders.KVM_CREATE_VM(), 0, "KVM_CREATE_VM");
        return new Vm(this, vmFd);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Syscalls.close(fd, "/dev/kvm");
    }
}
