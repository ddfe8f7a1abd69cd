package dev.jkvm.devices;

/**
 * Just enough of a 16550 UART at COM1 (0x3F8–0x3FF) for polling guests: the transmit register
 * passes bytes to a {@link SerialSink}; the line status register always says the transmitter is
 * empty, so a driver that polls LSR bit 5 never waits. Everything else reads 0 and ignores writes.
 */
public final class Com1Serial implements PortDevice {
    public static final int BASE = 0x3F8;
    public static final int LAST = 0x3FF;
    private static final int THR = BASE;
    private static final int LSR = BASE + 5;
    /** THR empty (bit 5) and transmitter empty (bit 6). */
    static final int LSR_READY = 0x60;

    private final SerialSink sink;
    private long bytesWritten;

    public Com1Serial(SerialSink sink) {
        this.sink = sink;
    }

    @Override
    public int read(int port, int size) {
        return port == LSR ? LSR_READY : 0;
    }

    @Override
    public long write(int port, int size, int value) {
        if (port == THR) {
            sink.write((byte) value);
            bytesWritten++;
        }
        return CONTINUE;
    }

    public long bytesWritten() {
        return bytesWritten;
    }
}
