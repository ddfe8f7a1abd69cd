package dev.jkvm.devices;

/**
 * The debug-exit port (0xF4): an {@code out} of 1, 2 or 4 bytes ends the guest with that value as its
 * exit status. This is how a guest ends itself with a result; it can end nothing else.
 */
public final class DebugExit implements PortDevice {
    public static final int PORT = 0xF4;

    @Override
    public int read(int port, int size) {
        return 0;
    }

    @Override
    public long write(int port, int size, int value) {
        return size == 4 ? Integer.toUnsignedLong(value) : value & ((1L << (size * 8)) - 1);
    }
}
