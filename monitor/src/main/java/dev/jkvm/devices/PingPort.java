package dev.jkvm.devices;

/** Port 0x510: each {@code out} is one deliberate port-I/O exit (io-ping); counted, otherwise ignored. */
public final class PingPort implements PortDevice {
    public static final int PORT = 0x510;

    private long pings;

    @Override
    public int read(int port, int size) {
        return 0;
    }

    @Override
    public long write(int port, int size, int value) {
        pings++;
        return CONTINUE;
    }

    public long pings() {
        return pings;
    }
}
