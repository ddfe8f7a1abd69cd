package dev.jkvm.devices;

/**
 * Routes port I/O to devices. The 64 Ki ports are a flat table so dispatch is one array load on the
 * KVM_RUN hot path. An unmapped port reads as all ones (like an empty ISA bus) and drops writes;
 * both are counted so a guest probing unknown hardware is visible in the statistics.
 */
public final class PortBus {
    private final PortDevice[] devices = new PortDevice[1 << 16];
    private long unknownReads;
    private long unknownWrites;

    public PortBus map(int first, int last, PortDevice device) {
        for (int p = first; p <= last; p++) {
            if (devices[p] != null) throw new IllegalStateException(String.format("port 0x%x is already mapped", p));
        }
        for (int p = first; p <= last; p++) devices[p] = device;
        return this;
    }

    public int read(int port, int size) {
        PortDevice d = devices[port & 0xFFFF];
        if (d == null) {
            unknownReads++;
            return size == 4 ? -1 : (1 << (size * 8)) - 1;
        }
        return d.read(port, size);
    }

    /** Returns {@link PortDevice#CONTINUE} or the guest's exit status (see {@link PortDevice#write}). */
    public long write(int port, int size, int value) {
        PortDevice d = devices[port & 0xFFFF];
        if (d == null) {
            unknownWrites++;
            return PortDevice.CONTINUE;
        }
        return d.write(port, size, value);
    }

    public long unknownReads() {
        return unknownReads;
    }

    public long unknownWrites() {
        return unknownWrites;
    }
}
