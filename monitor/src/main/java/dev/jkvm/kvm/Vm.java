package dev.jkvm.kvm;

import dev.jkvm.bindings.Syscalls;
import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.bindings.generated.kvm_userspace_memory_region;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Owner of a VM fd, its guest memory and its vCPUs. {@link #close} releases them in the only safe
 * order: vCPUs (their threads must already be joined), then the VM fd, then the memory KVM mapped.
 */
public final class Vm implements AutoCloseable {
    /**
     * Where KVM may put the three pages it needs for real-mode emulation on Intel (KVM_SET_TSS_ADDR):
     * just below 4 GiB, far above any jkvm guest's RAM.
     */
    private static final long TSS_ADDRESS = 0xFFFB_D000L;

    private final Kvm kvm;
    private final int fd;
    private final List<Vcpu> vcpus = new ArrayList<>();
    private GuestMemory memory;
    private boolean closed;

    Vm(Kvm kvm, int fd) {
        this.kvm = kvm;
        this.fd = fd;
    }

    int fd() {
        return fd;
    }

    Kvm kvm() {
        return kvm;
    }

    /** Maps {@code size} bytes of RAM and registers them as memory slot 0 at guest physical 0. */
    public GuestMemory mapMemory(long size) {
        if (memory != null) throw new IllegalStateException("this VM already has memory");
        GuestMemory ram = new GuestMemory(size);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment region = arena.allocate(kvm_userspace_memory_region.layout());
            kvm_userspace_memory_region.slot(region, 0);
            kvm_userspace_memory_region.flags(region, 0);
            kvm_userspace_memory_region.guest_phys_addr(region, 0);
            kvm_userspace_memory_region.memory_size(region, size);
            kvm_userspace_memory_region.userspace_addr(region, ram.hostAddress());
            Syscalls.ioctl(fd, LinuxHeaders.KVM_SET_USER_MEMORY_REGION(), region, "KVM_SET_USER_MEMORY_REGION");
        } catch (RuntimeException e) {
            ram.close();
            throw e;
        }
        if (kvm.checkExtension(LinuxHeaders.KVM_CAP_SET_TSS_ADDR()) > 0) {
            Syscalls.ioctl(fd, LinuxHeaders.KVM_SET_TSS_ADDR(), TSS_ADDRESS, "KVM_SET_TSS_ADDR");
        }
        memory = ram;
        return ram;
    }

    public GuestMemory memory() {
        if (memory == null) throw new IllegalStateException("VM has no memory yet");
        return memory;
    }

    /** KVM's binary statistics of this VM (KVM_CAP_BINARY_STATS_FD); the caller owns the result. */
    public KvmStatsFd openStats() {
        return KvmStatsFd.open(fd, "VM");
    }

    public Vcpu createVcpu(int id) {
        int vcpuFd = Syscalls.ioctl(fd, LinuxHeaders.KVM_CREATE_VCPU(), id, "KVM_CREATE_VCPU");
        Vcpu vcpu;
        try {
            vcpu = new Vcpu(this, id, vcpuFd, kvm.vcpuMmapSize());
        } catch (RuntimeException e) {
            Syscalls.close(vcpuFd, "vCPU " + id);
            throw e;
        }
        vcpus.add(vcpu);
        return vcpu;
    }

    /** Releases vCPUs, the VM fd and guest memory, each once. The vCPU threads must have been joined. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        RuntimeException first = null;
        for (Vcpu v : vcpus) {
            try {
                v.close();
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        try {
            Syscalls.close(fd, "VM");
        } catch (RuntimeException e) {
            if (first == null) first = e;
        }
        if (memory != null) memory.close();
        if (first != null) throw first;
    }
}
