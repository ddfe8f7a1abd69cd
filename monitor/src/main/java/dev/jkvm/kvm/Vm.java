package dev.jkvm.kvm;

import dev.jkvm.bindings.Syscalls;
import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.bindings.generated.kvm_pit_config;
import dev.jkvm.bindings.generated.kvm_userspace_memory_region;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
    /**
     * The one page KVM needs for the identity page table of real-mode guests on Intel without
     * unrestricted guest (KVM_SET_IDENTITY_MAP_ADDR): directly below the TSS pages.
     */
    private static final long IDENTITY_MAP_ADDRESS = 0xFFFB_C000L;

    private final Kvm kvm;
    private final int fd;
    private final List<Vcpu> vcpus = new ArrayList<>();
    private GuestMemory memory;
    private boolean irqchip;
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

    /**
     * Gives this VM KVM's in-kernel interrupt controllers: two 8259 PICs, an IOAPIC and a local APIC
     * per vCPU (KVM_CREATE_IRQCHIP), and an 8254 PIT (KVM_CREATE_PIT2) whose speaker port reads as
     * a dummy. With them HLT no longer exits to jkvm: KVM blocks the vCPU thread until an interrupt
     * is pending, which is what a sleeping guest is. Must come before the first vCPU.
     */
    public void createInterruptControllers() {
        if (!vcpus.isEmpty()) throw new IllegalStateException("the irqchip must be created before the vCPUs");
        if (irqchip) throw new IllegalStateException("this VM already has an irqchip");
        if (kvm.checkExtension(LinuxHeaders.KVM_CAP_IRQCHIP()) <= 0) {
            throw new KvmUnavailableException("this KVM has no in-kernel irqchip (KVM_CAP_IRQCHIP)");
        }
        try (Arena arena = Arena.ofConfined()) {
            if (kvm.checkExtension(LinuxHeaders.KVM_CAP_SET_IDENTITY_MAP_ADDR()) > 0) {
                MemorySegment address = arena.allocateFrom(ValueLayout.JAVA_LONG, IDENTITY_MAP_ADDRESS);
                Syscalls.ioctl(fd, LinuxHeaders.KVM_SET_IDENTITY_MAP_ADDR(), address, "KVM_SET_IDENTITY_MAP_ADDR");
            }
            Syscalls.ioctl(fd, LinuxHeaders.KVM_CREATE_IRQCHIP(), 0, "KVM_CREATE_IRQCHIP");
            irqchip = true;
            if (kvm.checkExtension(LinuxHeaders.KVM_CAP_PIT2()) > 0) {
                MemorySegment config = arena.allocate(kvm_pit_config.layout());
                kvm_pit_config.flags(config, LinuxHeaders.KVM_PIT_SPEAKER_DUMMY());
                Syscalls.ioctl(fd, LinuxHeaders.KVM_CREATE_PIT2(), config, "KVM_CREATE_PIT2");
            }
        }
    }

    /** Whether {@link #createInterruptControllers} made this VM's interrupt controllers. */
    public boolean hasIrqchip() {
        return irqchip;
    }

    /** The input line through which a device raises interrupts on this VM's in-kernel irqchip. */
    public IrqLine irqLine(int irq) {
        if (!irqchip) throw new IllegalStateException("this VM has no in-kernel irqchip");
        return new IrqLine(fd, irq);
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
