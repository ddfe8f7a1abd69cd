package dev.jkvm.kvm;

import dev.jkvm.bindings.Errno;
import dev.jkvm.bindings.NativeException;
import dev.jkvm.bindings.Syscalls;
import dev.jkvm.bindings.generated.LinuxHeaders;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A VM's RAM: anonymous, page-aligned host memory mapped as one segment, seen by the guest at
 * physical address 0. Owned by its {@link Vm}, unmapped once and only after every vCPU is gone.
 * Accessors check bounds (guest addresses come from guests and manifests, so they are input).
 */
public final class GuestMemory implements AutoCloseable {
    private static final long PAGE = 4096;
    /** A write to a page that keeps its contents and that no compiler drops: an atomic add of 0 (pages are int-aligned). */
    private static final java.lang.invoke.VarHandle PAGE_TOUCH = ValueLayout.JAVA_INT.varHandle();

    private final MemorySegment ram;
    private boolean closed;

    GuestMemory(long size) {
        if (size <= 0 || size % PAGE != 0) throw new IllegalArgumentException("guest memory must be a positive multiple of 4 KiB: " + size);
        // MAP_NORESERVE: large sparse guests should not need swap reservations for pages never touched.
        this.ram = Syscalls.mmap(size, LinuxHeaders.PROT_READ() | LinuxHeaders.PROT_WRITE(),
                LinuxHeaders.MAP_PRIVATE() | LinuxHeaders.MAP_ANONYMOUS() | LinuxHeaders.MAP_NORESERVE(), -1, 0, "guest memory");
    }

    public long size() {
        return ram.byteSize();
    }

    /** RAM up to this size is faulted in before the guest runs; larger guests fault on demand. */
    public static final long PREFAULT_LIMIT = 64L << 20;

    /**
     * Faults in every page of RAM (up to {@link #PREFAULT_LIMIT}) from the calling thread, keeping its
     * contents. A guest's first touch of a page that is not present makes KVM fault it in under the
     * process's mmap lock; with dozens of vCPU threads sharing one CPU, a thread preempted while
     * holding that lock stalls every other thread that needs it for a whole round of the scheduler
     * (measured: guests that never ran in their first seconds). Present pages take KVM's lock-free
     * path instead.
     *
     * <p>One madvise(MADV_POPULATE_WRITE) does it in the kernel; touching each page from Java, which
     * older kernels need, took most of the time to create 256 VMs (a JFR profile of `jkvm run --vms
     * 256`: 70 % of the main thread's samples, 4 MiB guests). Write, not read: a page only read maps
     * the shared zero page, and the guest's first write to it then faults through KVM's slow path
     * under the mmap lock. With MADV_POPULATE_READ every one of 7 runs of 256 spin VMs had the
     * recorder stalled 0.5-1.3 s after the start; with MADV_POPULATE_WRITE 4 of about 25. The cost is
     * the guest's RAM resident in full (peak RSS for 256 4 MiB guests 1250 MiB instead of 199 MiB).
     * The fallback writes with an atomic add of 0: the store of a byte just loaded, as this loop was
     * until 2026-11-27, is dropped by C2, which left it a read.
     */
    public void prefault() {
        long end = Math.min(ram.byteSize(), PREFAULT_LIMIT);
        try {
            Syscalls.populateWrite(ram.asSlice(0, end), "guest memory");
            return;
        } catch (NativeException e) {
            // Out of memory (ENOMEM) or anything but an old kernel: the pages fault in on demand, as
            // they would without a prefault; touching them here could only bring the OOM killer.
            if (!e.is(Errno.EINVAL)) return;
            // A kernel before 5.14 (EINVAL): touch each page below.
        }
        for (long at = 0; at < end; at += PAGE) {
            int unchanged = (int) PAGE_TOUCH.getAndAdd(ram, at, 0);
        }
    }

    /** The host address KVM maps the guest's physical address 0 to. */
    long hostAddress() {
        return ram.address();
    }

    /** The whole RAM; guest physical address = offset. */
    public MemorySegment segment() {
        return ram;
    }

    public void write(long gpa, byte[] bytes) {
        MemorySegment.copy(bytes, 0, ram, ValueLayout.JAVA_BYTE, checked(gpa, bytes.length), bytes.length);
    }

    public void fill(long gpa, long length, byte value) {
        ram.asSlice(checked(gpa, length), length).fill(value);
    }

    public long readLong(long gpa) {
        return ram.get(ValueLayout.JAVA_LONG_UNALIGNED, checked(gpa, 8));
    }

    public void writeLong(long gpa, long value) {
        ram.set(ValueLayout.JAVA_LONG_UNALIGNED, checked(gpa, 8), value);
    }

    public MemorySegment slice(long gpa, long length) {
        return ram.asSlice(checked(gpa, length), length);
    }

    private long checked(long gpa, long length) {
        if (gpa < 0 || length < 0 || gpa + length > ram.byteSize() || gpa + length < gpa) {
            throw new IndexOutOfBoundsException(String.format("guest range 0x%x+%d is outside %d bytes of guest memory", gpa, length, ram.byteSize()));
        }
        return gpa;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Syscalls.munmap(ram, "guest memory");
    }
}
