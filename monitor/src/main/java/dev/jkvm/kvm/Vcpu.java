package dev.jkvm.kvm;

import dev.jkvm.bindings.ErrnoCapture;
import dev.jkvm.bindings.Syscalls;
import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.bindings.generated.kvm_regs;
import dev.jkvm.bindings.generated.kvm_run;
import dev.jkvm.bindings.generated.kvm_sregs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Owner of a vCPU fd and its mapped {@code struct kvm_run}. Register access and {@link #run} must be
 * called from the one thread that runs this vCPU once it has started (KVM ties a vCPU to the thread
 * that issues its ioctls); {@link #requestImmediateExit} is the only call meant for other threads.
 */
public final class Vcpu implements AutoCloseable {
    private final Vm vm;
    private final int id;
    private final int fd;
    private final MemorySegment run;
    // Scratch memory (a few KiB) freed by the GC with its owner: closing a shared arena is a handshake
    // with every Java thread, which for the 256 vCPUs and 256 perf rings closed after a 256-VM run took
    // about 0.5 s of waiting (2026-11-26). Nothing here is reached after close: the fd and mapping are.
    private final Arena scratch = Arena.ofAuto();
    private boolean closed;

    Vcpu(Vm vm, int id, int fd, int mmapSize) {
        this.vm = vm;
        this.id = id;
        this.fd = fd;
        this.run = Syscalls.mmap(mmapSize, LinuxHeaders.PROT_READ() | LinuxHeaders.PROT_WRITE(), LinuxHeaders.MAP_SHARED(), fd, 0,
                "kvm_run of vCPU " + id);
    }

    public int id() {
        return id;
    }

    public Vm vm() {
        return vm;
    }

    /** The mapped kvm_run area: struct kvm_run followed by the PIO data page(s). */
    public MemorySegment runArea() {
        return run;
    }

    public MemorySegment getRegs() {
        MemorySegment regs = scratch.allocate(kvm_regs.layout());
        Syscalls.ioctl(fd, LinuxHeaders.KVM_GET_REGS(), regs, "KVM_GET_REGS");
        return regs;
    }

    public void setRegs(MemorySegment regs) {
        Syscalls.ioctl(fd, LinuxHeaders.KVM_SET_REGS(), regs, "KVM_SET_REGS");
    }

    public MemorySegment getSregs() {
        MemorySegment sregs = scratch.allocate(kvm_sregs.layout());
        Syscalls.ioctl(fd, LinuxHeaders.KVM_GET_SREGS(), sregs, "KVM_GET_SREGS");
        return sregs;
    }

    public void setSregs(MemorySegment sregs) {
        Syscalls.ioctl(fd, LinuxHeaders.KVM_SET_SREGS(), sregs, "KVM_SET_SREGS");
    }

    /** KVM_GET_MP_STATE: {@link MpState#RUNNABLE}, {@link MpState#UNINITIALIZED}, … */
    public int mpState() {
        MemorySegment state = scratch.allocate(MpState.BYTES);
        Syscalls.ioctl(fd, MpState.KVM_GET_MP_STATE, state, "KVM_GET_MP_STATE");
        return state.get(java.lang.foreign.ValueLayout.JAVA_INT, 0);
    }

    /** KVM_SET_MP_STATE, e.g. {@link MpState#RUNNABLE} for an AP that starts without INIT/SIPI. */
    public void setMpState(int mpState) {
        MemorySegment state = scratch.allocate(MpState.BYTES);
        state.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, mpState);
        Syscalls.ioctl(fd, MpState.KVM_SET_MP_STATE, state, "KVM_SET_MP_STATE");
    }

    /** KVM_SET_CPUID2 with a struct kvm_cpuid2 (e.g. from {@link Kvm#supportedCpuid}). */
    public void setCpuid(MemorySegment cpuid2) {
        Syscalls.ioctl(fd, LinuxHeaders.KVM_SET_CPUID2(), cpuid2, "KVM_SET_CPUID2");
    }

    /** KVM's binary statistics of this vCPU (KVM_CAP_BINARY_STATS_FD); the caller owns the result. */
    public KvmStatsFd openStats() {
        return KvmStatsFd.open(fd, "vCPU " + id);
    }

    /** The vCPU's TSC frequency in kHz (KVM_GET_TSC_KHZ). */
    public long tscKhz() {
        return Syscalls.ioctl(fd, LinuxHeaders.KVM_GET_TSC_KHZ(), 0, "KVM_GET_TSC_KHZ");
    }

    /**
     * One KVM_RUN. Returns 0 when the guest exited to us (the reason is in {@link #runArea}), or
     * -errno: -EINTR when a signal interrupted it, -EAGAIN when KVM asks to be called again.
     */
    public int run(ErrnoCapture capture) {
        return Syscalls.ioctlRaw(fd, LinuxHeaders.KVM_RUN(), 0, capture);
    }

    /**
     * Makes the next (or current, once a signal has kicked it out) KVM_RUN return EINTR at once.
     * Set before signalling the vCPU thread, so a signal that lands just before KVM_RUN is not lost.
     */
    public void requestImmediateExit() {
        kvm_run.immediate_exit(run, (byte) 1);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            Syscalls.munmap(run, "kvm_run of vCPU " + id);
        } finally {
            Syscalls.close(fd, "vCPU " + id);
        }
    }
}
