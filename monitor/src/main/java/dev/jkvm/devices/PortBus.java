package dev.jkvm.devices;

/**
 * Routes port I/O to devices. The 64 Ki ports are a two-level table: 256 pages of 256 ports, a page
 * allocated only when a device is mapped into it, so dispatch stays two array loads on the KVM_RUN
 * hot path while a VM's bus costs about 1 KiB per used page instead of a flat 256 KiB (512 KiB with
 * uncompressed references) per VM. An unmapped port reads as all ones (like an empty ISA bus) and
 * drops writes; both are counted so a guest probing unknown hardware is visible in the statistics.
 */
public final class PortBus {
    private static final int PAGE_BITS = 8;
    private static final int PAGE_MASK = (1 << PAGE_BITS) - 1;
    private final PortDevice[][] pages = new PortDevice[1 << (16 - PAGE_BITS)][];
    private long unknownReads;
    private long unknownWrites;

    public PortBus map(int first, int last, PortDevice device) {
        if (first < 0 || last > 0xFFFF || first > last) {
            throw new IllegalArgumentException(String.format("bad port range 0x%x..0x%x", first, last));
        }
        for (int p = first; p <= last; p++) {
            if (device(p) != null) throw new IllegalStateException(String.format("port 0x%x is already mapped", p));
        }
        for (int p = first; p <= last; p++) {
            PortDevice[] page = pages[p >>> PAGE_BITS];
            if (page == null) page = pages[p >>> PAGE_BITS] = new PortDevice[1 << PAGE_BITS];
            page[p & PAGE_MASK] = device;
        }
        return this;
    }

    private PortDevice device(int port) {
        PortDevice[] page = pages[(port & 0xFFFF) >>> PAGE_BITS];
        return page == null ? null : page[port & PAGE_MASK];
    }

    public int read(int port, int size) {
        PortDevice d = device(port);
        if (d == null) {
            unknownReads++;
            return size == 4 ? -1 : (1 << (size * 8)) - 1;
        }
        return d.read(port, size);
    }

    /** Returns {@link PortDevice#CONTINUE} or the guest's exit status (see {@link PortDevice#write}). */
    public long write(int port, int size, int value) {
        PortDevice d = device(port);
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
