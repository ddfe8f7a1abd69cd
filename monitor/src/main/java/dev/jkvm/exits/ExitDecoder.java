package dev.jkvm.exits;

import dev.jkvm.bindings.Errno;
import dev.jkvm.bindings.NativeException;
import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.bindings.generated.kvm_run;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Turns what KVM_RUN left in a vCPU's kvm_run mapping into a {@link VmExit}. Pure: it reads the
 * mapping (or any segment laid out like it, which is how it is unit-tested) and decides nothing.
 * All offsets come from the generated kvm_run layout.
 */
public final class ExitDecoder {
    private static final long EXIT_REASON = kvm_run.exit_reason$offset();
    private static final long IO_DIRECTION = kvm_run.io$offset() + kvm_run.io.direction$offset();
    private static final long IO_SIZE = kvm_run.io$offset() + kvm_run.io.size$offset();
    private static final long IO_PORT = kvm_run.io$offset() + kvm_run.io.port$offset();
    private static final long IO_COUNT = kvm_run.io$offset() + kvm_run.io.count$offset();
    private static final long IO_DATA_OFFSET = kvm_run.io$offset() + kvm_run.io.data_offset$offset();
    private static final long MMIO_ADDRESS = kvm_run.mmio$offset() + kvm_run.mmio.phys_addr$offset();
    private static final long MMIO_DATA = kvm_run.mmio$offset() + kvm_run.mmio.data$offset();
    private static final long MMIO_LEN = kvm_run.mmio$offset() + kvm_run.mmio.len$offset();
    private static final long MMIO_IS_WRITE = kvm_run.mmio$offset() + kvm_run.mmio.is_write$offset();
    private static final long MMIO_DATA_BYTES = kvm_run.mmio.data$layout().byteSize();

    private static final int EXIT_IO = LinuxHeaders.KVM_EXIT_IO();
    private static final int EXIT_MMIO = LinuxHeaders.KVM_EXIT_MMIO();
    private static final int EXIT_HLT = LinuxHeaders.KVM_EXIT_HLT();
    private static final int EXIT_SHUTDOWN = LinuxHeaders.KVM_EXIT_SHUTDOWN();
    private static final int EXIT_FAIL_ENTRY = LinuxHeaders.KVM_EXIT_FAIL_ENTRY();
    private static final int EXIT_INTERNAL_ERROR = LinuxHeaders.KVM_EXIT_INTERNAL_ERROR();
    private static final int EXIT_SYSTEM_EVENT = LinuxHeaders.KVM_EXIT_SYSTEM_EVENT();
    private static final int IO_OUT = LinuxHeaders.KVM_EXIT_IO_OUT();
    private static final int IO_IN = LinuxHeaders.KVM_EXIT_IO_IN();

    private static final VmExit.Halt HALT = new VmExit.Halt();
    private static final VmExit.Shutdown SHUTDOWN = new VmExit.Shutdown();
    private static final VmExit.Interrupted INTERRUPTED = new VmExit.Interrupted();

    private final MemorySegment run;
    private final VmExit.Io io;
    private final VmExit.Mmio mmio;

    /** @param run the vCPU's whole kvm_run mapping (its size bounds the I/O data offsets) */
    public ExitDecoder(MemorySegment run) {
        if (run.byteSize() < kvm_run.layout().byteSize()) {
            throw new IllegalArgumentException("kvm_run mapping of " + run.byteSize() + " bytes is smaller than struct kvm_run");
        }
        this.run = run;
        this.io = new VmExit.Io(run);
        this.mmio = new VmExit.Mmio(run, MMIO_DATA);
    }

    /** The exit reason code KVM left in kvm_run. */
    public int reasonCode() {
        return run.get(ValueLayout.JAVA_INT, EXIT_REASON);
    }

    /**
     * Decodes one KVM_RUN result: {@code runResult} is its return value, or -errno.
     * EINTR and EAGAIN are {@link VmExit.Interrupted}; any other errno is a host failure and throws.
     */
    public VmExit decode(int runResult) {
        if (runResult < 0) {
            int errno = -runResult;
            if (errno == Errno.EINTR.value() || errno == Errno.EAGAIN.value()) return INTERRUPTED;
            throw new NativeException("KVM_RUN", errno);
        }
        int reason = reasonCode();
        if (reason == EXIT_IO) return decodeIo(reason);
        if (reason == EXIT_HLT) return HALT;
        if (reason == EXIT_MMIO) return decodeMmio(reason);
        if (reason == EXIT_SHUTDOWN) return SHUTDOWN;
        if (reason == EXIT_FAIL_ENTRY) {
            MemorySegment f = kvm_run.fail_entry(run);
            return new VmExit.FailEntry(kvm_run.fail_entry.hardware_entry_failure_reason(f), kvm_run.fail_entry.cpu(f));
        }
        if (reason == EXIT_INTERNAL_ERROR) {
            MemorySegment e = kvm_run.internal(run);
            long max = kvm_run.internal.data$layout().elementCount();
            int n = (int) Math.min(Math.max(kvm_run.internal.ndata(e), 0), max);
            return new VmExit.InternalError(kvm_run.internal.suberror(e),
                    kvm_run.internal.data(e).asSlice(0, n * 8L).toArray(ValueLayout.JAVA_LONG));
        }
        if (reason == EXIT_SYSTEM_EVENT) return new VmExit.SystemEvent(kvm_run.system_event.type(kvm_run.system_event(run)));
        return new VmExit.Unhandled(reason);
    }

    private VmExit decodeIo(int reason) {
        int direction = Byte.toUnsignedInt(run.get(ValueLayout.JAVA_BYTE, IO_DIRECTION));
        int size = Byte.toUnsignedInt(run.get(ValueLayout.JAVA_BYTE, IO_SIZE));
        int port = Short.toUnsignedInt(run.get(ValueLayout.JAVA_SHORT, IO_PORT));
        int count = run.get(ValueLayout.JAVA_INT, IO_COUNT);
        long dataOffset = run.get(ValueLayout.JAVA_LONG, IO_DATA_OFFSET);
        if (direction != IO_OUT && direction != IO_IN) return new VmExit.Malformed(reason, "I/O direction " + direction);
        if (size != 1 && size != 2 && size != 4) return new VmExit.Malformed(reason, "I/O size " + size);
        if (count < 1) return new VmExit.Malformed(reason, "I/O count " + Integer.toUnsignedString(count));
        long bytes = (long) size * count;
        if (dataOffset < 0 || dataOffset > run.byteSize() - bytes) {
            return new VmExit.Malformed(reason, String.format(
                    "I/O data at offset %d + %d bytes lies outside the %d-byte kvm_run mapping", dataOffset, bytes, run.byteSize()));
        }
        io.out = direction == IO_OUT;
        io.size = size;
        io.port = port;
        io.count = count;
        io.dataOffset = dataOffset;
        return io;
    }

    private VmExit decodeMmio(int reason) {
        int len = run.get(ValueLayout.JAVA_INT, MMIO_LEN);
        if (len < 1 || len > MMIO_DATA_BYTES) return new VmExit.Malformed(reason, "MMIO length " + len);
        mmio.address = run.get(ValueLayout.JAVA_LONG, MMIO_ADDRESS);
        mmio.length = len;
        mmio.write = run.get(ValueLayout.JAVA_BYTE, MMIO_IS_WRITE) != 0;
        return mmio;
    }
}
