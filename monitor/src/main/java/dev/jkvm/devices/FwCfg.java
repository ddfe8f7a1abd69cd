package dev.jkvm.devices;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * QEMU's firmware configuration device, the traditional I/O-port interface as test kernels use it
 * (kvm-unit-tests' fwcfg): a 16-bit write to the selector port 0x510 picks an item and rewinds it;
 * each 1-byte read of the data port 0x511 returns the item's next byte, 0 past its end or for an
 * unknown item. Items: signature "QEMU", ID (traditional interface only), RAM size, CPU count (also
 * as the maximum), the command line (size and bytes), and an empty file directory. Integers are
 * little endian except the file directory's count, which fw_cfg defines as big endian.
 */
public final class FwCfg implements PortDevice {
    public static final int SELECTOR_PORT = 0x510;
    public static final int DATA_PORT = 0x511;

    static final int SIGNATURE = 0x00, ID = 0x01, RAM_SIZE = 0x03, NB_CPUS = 0x05, MAX_CPUS = 0x0f,
            CMDLINE_SIZE = 0x14, CMDLINE_DATA = 0x15, FILE_DIR = 0x19;
    /** Longest command line served; the rest of the guest's data is the monitor's to bound. */
    public static final int MAX_CMDLINE = 4096;

    private final Map<Integer, byte[]> items = new HashMap<>();
    private static final byte[] NONE = new byte[0];
    private byte[] selected = NONE;
    private int offset;

    public FwCfg(long ramBytes, int cpus, String cmdline) {
        byte[] line = cmdline.getBytes(StandardCharsets.US_ASCII);
        if (line.length > MAX_CMDLINE) throw new IllegalArgumentException("command line longer than " + MAX_CMDLINE + " bytes");
        items.put(SIGNATURE, "QEMU".getBytes(StandardCharsets.US_ASCII));
        items.put(ID, le(4, 1)); // bit 0: the traditional interface; no DMA
        items.put(RAM_SIZE, le(8, ramBytes));
        items.put(NB_CPUS, le(2, cpus));
        items.put(MAX_CPUS, le(2, cpus));
        items.put(CMDLINE_SIZE, le(4, line.length + 1));
        byte[] data = new byte[line.length + 1]; // NUL-terminated, as QEMU serves it
        System.arraycopy(line, 0, data, 0, line.length);
        items.put(CMDLINE_DATA, data);
        items.put(FILE_DIR, new byte[] {0, 0, 0, 0}); // big-endian count 0: no files
    }

    private static byte[] le(int size, long value) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
        byte[] out = new byte[size];
        System.arraycopy(b.array(), 0, out, 0, size);
        return out;
    }

    @Override
    public int read(int port, int size) {
        if (port != DATA_PORT) return 0;
        int value = 0;
        for (int i = 0; i < size; i++) value |= next() << (8 * i); // wider reads take consecutive bytes
        return value;
    }

    private int next() {
        return offset < selected.length ? Byte.toUnsignedInt(selected[offset++]) : 0;
    }

    @Override
    public long write(int port, int size, int value) {
        if (port == SELECTOR_PORT) {
            selected = items.getOrDefault(value & 0xFFFF, NONE);
            offset = 0;
        }
        return CONTINUE;
    }
}
