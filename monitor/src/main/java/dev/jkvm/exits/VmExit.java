package dev.jkvm.exits;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One return from KVM_RUN, decoded. The frequent kinds ({@link Io}, {@link Mmio}) are views over the
 * vCPU's kvm_run mapping that the decoder reuses, so the KVM_RUN loop allocates nothing per exit;
 * they are valid until the next KVM_RUN. The rare, final kinds are plain records.
 */
public sealed interface VmExit {

    /** Port I/O (KVM_EXIT_IO): {@code count} values of {@code size} bytes at {@code dataOffset} in kvm_run. */
    final class Io implements VmExit {
        private final MemorySegment run;
        boolean out;
        int size;
        int port;
        int count;
        long dataOffset;

        Io(MemorySegment run) {
            this.run = run;
        }

        public boolean isOut() { return out; }
        public int size() { return size; }
        public int port() { return port; }
        public int count() { return count; }
        public long dataOffset() { return dataOffset; }

        /** The i-th value an {@code out} wrote (zero-extended). Bounds were checked by the decoder. */
        public int value(int i) {
            long at = dataOffset + (long) i * size;
            return switch (size) {
                case 1 -> Byte.toUnsignedInt(run.get(ValueLayout.JAVA_BYTE, at));
                case 2 -> Short.toUnsignedInt(run.get(ValueLayout.JAVA_SHORT_UNALIGNED, at));
                default -> run.get(ValueLayout.JAVA_INT_UNALIGNED, at);
            };
        }

        /** Sets the i-th value an {@code in} reads. */
        public void setValue(int i, int value) {
            long at = dataOffset + (long) i * size;
            switch (size) {
                case 1 -> run.set(ValueLayout.JAVA_BYTE, at, (byte) value);
                case 2 -> run.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, (short) value);
                default -> run.set(ValueLayout.JAVA_INT_UNALIGNED, at, value);
            }
        }

        @Override
        public String toString() {
            return String.format("IO %s port 0x%x size %d count %d", out ? "out" : "in", port, size, count);
        }
    }

    /** Memory-mapped I/O (KVM_EXIT_MMIO) to a guest physical address no memory slot covers. */
    final class Mmio implements VmExit {
        private final MemorySegment run;
        private final long dataOffset;
        long address;
        int length;
        boolean write;

        Mmio(MemorySegment run, long dataOffset) {
            this.run = run;
            this.dataOffset = dataOffset;
        }

        public long address() { return address; }
        public int length() { return length; }
        public boolean isWrite() { return write; }

        /** The bytes a write stored, little-endian, zero-extended. */
        public long data() {
            long v = 0;
            for (int i = length - 1; i >= 0; i--) v = (v << 8) | Byte.toUnsignedLong(run.get(ValueLayout.JAVA_BYTE, dataOffset + i));
            return v;
        }

        /** Sets what a read returns (the low {@code length} bytes of {@code value}). */
        public void setData(long value) {
            for (int i = 0; i < length; i++) run.set(ValueLayout.JAVA_BYTE, dataOffset + i, (byte) (value >>> (8 * i)));
        }

        @Override
        public String toString() {
            return String.format("MMIO %s 0x%x len %d", write ? "write" : "read", address, length);
        }
    }

    /** KVM_EXIT_HLT: the guest halted (with no in-kernel irqchip, nothing will wake it). */
    record Halt() implements VmExit {}

    /** KVM_EXIT_SHUTDOWN: a triple fault, or the guest asked for a shutdown the hardware way. */
    record Shutdown() implements VmExit {}

    /** KVM_EXIT_FAIL_ENTRY: the CPU refused to enter the guest (invalid guest state). */
    record FailEntry(long hardwareReason, int cpu) implements VmExit {}

    /** KVM_EXIT_INTERNAL_ERROR: KVM could not emulate or deliver something. */
    record InternalError(int suberror, long[] data) implements VmExit {
        public String suberrorName() {
            return switch (suberror) {
                case 1 -> "emulation failure";
                case 2 -> "exception while delivering an exception";
                case 3 -> "event delivery failed";
                case 4 -> "unexpected exit reason";
                default -> "suberror " + suberror;
            };
        }

        /**
         * The suberror's name and the data words KVM gave with it, in hex (for an emulation failure
         * they hold the exit's details, e.g. the instruction bytes where KVM provides them): what an
         * engineer needs to tell one internal error from another, where the name alone said little.
         */
        public String describe() {
            if (data.length == 0) return suberrorName();
            StringBuilder sb = new StringBuilder(suberrorName()).append("; KVM's data:");
            for (long d : data) sb.append(" 0x").append(Long.toHexString(d));
            return sb.toString();
        }
    }

    /** KVM_EXIT_SYSTEM_EVENT: shutdown, reset or crash requested through a firmware interface. */
    record SystemEvent(int type) implements VmExit {}

    /** KVM_RUN returned EINTR or EAGAIN: not an exit of the guest, a chance for the monitor to act. */
    record Interrupted() implements VmExit {}

    /** An exit reason jkvm does not serve. */
    record Unhandled(int reason) implements VmExit {}

    /** The kernel's exit data fails our checks (e.g. an I/O data offset outside the mapping). */
    record Malformed(int reason, String problem) implements VmExit {}
}
