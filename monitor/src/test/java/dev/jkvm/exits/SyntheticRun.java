package dev.jkvm.exits;

import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.bindings.generated.kvm_run;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A kvm_run mapping made by hand: a zeroed segment of the real vCPU mmap size, written only through the
 * generated kvm_run accessors, as KVM would leave it after an exit.
 */
final class SyntheticRun {
    /** What KVM_GET_VCPU_MMAP_SIZE returns on x86 (kvm_run page, PIO data page, coalesced MMIO ring page). */
    static final long MMAP_SIZE = 12288;
    /** Where KVM puts PIO data: the page after struct kvm_run. */
    static final long PIO_PAGE = 4096;

    final MemorySegment seg;

    SyntheticRun(Arena arena) {
        this.seg = arena.allocate(MMAP_SIZE, 8);
    }

    SyntheticRun reason(int reason) {
        kvm_run.exit_reason(seg, reason);
        return this;
    }

    SyntheticRun io(int direction, int size, int port, int count, long dataOffset) {
        reason(LinuxHeaders.KVM_EXIT_IO());
        MemorySegment io = kvm_run.io(seg);
        kvm_run.io.direction(io, (byte) direction);
        kvm_run.io.size(io, (byte) size);
        kvm_run.io.port(io, (short) port);
        kvm_run.io.count(io, count);
        kvm_run.io.data_offset(io, dataOffset);
        return this;
    }

    SyntheticRun out(int size, int port, int count) {
        return io(LinuxHeaders.KVM_EXIT_IO_OUT(), size, port, count, PIO_PAGE);
    }

    SyntheticRun in(int size, int port, int count) {
        return io(LinuxHeaders.KVM_EXIT_IO_IN(), size, port, count, PIO_PAGE);
    }

    /** Bytes at the PIO data offset (what an out wrote). */
    SyntheticRun pioBytes(int... bytes) {
        for (int i = 0; i < bytes.length; i++) seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, PIO_PAGE + i, (byte) bytes[i]);
        return this;
    }

    int pioByte(int i) {
        return Byte.toUnsignedInt(seg.get(java.lang.foreign.ValueLayout.JAVA_BYTE, PIO_PAGE + i));
    }

    SyntheticRun mmio(long address, int len, boolean write, int... data) {
        reason(LinuxHeaders.KVM_EXIT_MMIO());
        MemorySegment m = kvm_run.mmio(seg);
        kvm_run.mmio.phys_addr(m, address);
        kvm_run.mmio.len(m, len);
        kvm_run.mmio.is_write(m, (byte) (write ? 1 : 0));
        for (int i = 0; i < data.length; i++) kvm_run.mmio.data(m, i, (byte) data[i]);
        return this;
    }

    int mmioByte(int i) {
        return Byte.toUnsignedInt(kvm_run.mmio.data(kvm_run.mmio(seg), i));
    }

    SyntheticRun failEntry(long hardwareReason, int cpu) {
        reason(LinuxHeaders.KVM_EXIT_FAIL_ENTRY());
        MemorySegment f = kvm_run.fail_entry(seg);
        kvm_run.fail_entry.hardware_entry_failure_reason(f, hardwareReason);
        kvm_run.fail_entry.cpu(f, cpu);
        return this;
    }

    SyntheticRun internalError(int suberror, int ndata, long... data) {
        reason(LinuxHeaders.KVM_EXIT_INTERNAL_ERROR());
        MemorySegment e = kvm_run.internal(seg);
        kvm_run.internal.suberror(e, suberror);
        kvm_run.internal.ndata(e, ndata);
        for (int i = 0; i < data.length; i++) kvm_run.internal.data(e, i, data[i]);
        return this;
    }

    SyntheticRun systemEvent(int type) {
        reason(LinuxHeaders.KVM_EXIT_SYSTEM_EVENT());
        kvm_run.system_event.type(kvm_run.system_event(seg), type);
        return this;
    }
}
