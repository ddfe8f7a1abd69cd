package dev.jkvm.devices;

/**
 * The debug-exit port (0xF4) with QEMU's {@code isa-debug-exit} semantics: an {@code out} of 1, 2 or
 * 4 bytes writing v ends the guest with exit status {@code (v << 1) | 1}, so test images written for
 * QEMU (kvm-unit-tests: v = 0 is a pass, status 1) end the same way here. The status is therefore
 * always odd; a guest that wants status 0 halts instead. It can end nothing but its own guest.
 */
public final class DebugExit implements PortDevice {
    public static final int PORT = 0xF4;

    @Override
    public int read(int port, int size) {
        return 0;
    }

    @Override
    public long write(int port, int size, int value) {
        return (valueOf(size, value) << 1) | 1;
    }

    /** The value the guest wrote, as the unsigned number of {@code size} bytes. */
    public static long valueOf(int size, int value) {
        return size == 4 ? Integer.toUnsignedLong(value) : value & ((1L << (size * 8)) - 1);
    }

    /** The exit status a write of {@code value} gives: {@code (value << 1) | 1}. */
    public static long statusOf(long value) {
        return (value << 1) | 1;
    }
}
