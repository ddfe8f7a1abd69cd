package dev.jkvm.devices;

/**
 * Port 0x520: each {@code out} is one deliberate port-I/O exit (io-ping); counted, otherwise ignored.
 * (It was 0x510 until fw_cfg took that port, as test kernels expect fw_cfg there.)
 */
public final class PingPort implements PortDevice {
    public static final int PORT = 0x520;

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
