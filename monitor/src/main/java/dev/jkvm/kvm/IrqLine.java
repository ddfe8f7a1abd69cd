package dev.jkvm.kvm;

import dev.jkvm.bindings.ErrnoCapture;
import dev.jkvm.bindings.NativeException;
import dev.jkvm.bindings.Syscalls;
import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.bindings.generated.kvm_irq_level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One interrupt input of a VM's in-kernel irqchip (KVM_IRQ_LINE): ISA IRQ n reaches PIC pin n and
 * IOAPIC pin n, so a device model drives its line like the wire it is. Level-triggered use: raise
 * while the device wants service, lower when it no longer does; KVM's PIC and IOAPIC see the edges.
 * Used from one device's thread (the vCPU thread); allocates nothing per call. Borrows the VM fd,
 * which its {@link Vm} owns and closes.
 */
public final class IrqLine {
    private final int vmFd;
    private final int irq;
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment level = arena.allocate(kvm_irq_level.layout());
    private final ErrnoCapture capture = new ErrnoCapture(arena);
    private boolean raised;

    IrqLine(int vmFd, int irq) {
        if (irq < 0 || irq > 15) throw new IllegalArgumentException("ISA IRQ must be 0..15, not " + irq);
        this.vmFd = vmFd;
        this.irq = irq;
    }

    public int irq() {
        return irq;
    }

    /** Sets the line's level; does nothing when it already is at that level. */
    public void set(boolean high) {
        if (high == raised) return;
        kvm_irq_level.irq(level, irq);
        kvm_irq_level.level(level, high ? 1 : 0);
        int rc = Syscalls.ioctlRaw(vmFd, LinuxHeaders.KVM_IRQ_LINE(), level.address(), capture);
        if (rc < 0) throw new NativeException("KVM_IRQ_LINE", -rc);
        raised = high;
    }

    public boolean isRaised() {
        return raised;
    }
}
