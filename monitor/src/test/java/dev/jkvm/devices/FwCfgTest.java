package dev.jkvm.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** fw_cfg read the way a guest reads it: select with a 16-bit out, then one byte per in. */
class FwCfgTest {
    private final FwCfg fw = new FwCfg(64L << 20, 1, "kernel.elf arg1");

    private byte[] item(int key, int length) {
        fw.write(FwCfg.SELECTOR_PORT, 2, key);
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) out[i] = (byte) fw.read(FwCfg.DATA_PORT, 1);
        return out;
    }

    private long le(byte[] b) {
        long v = 0;
        for (int i = b.length - 1; i >= 0; i--) v = v << 8 | (b[i] & 0xFF);
        return v;
    }

    @Test
    void signatureIsQemu() {
        assertEquals("QEMU", new String(item(0x00, 4), StandardCharsets.US_ASCII));
    }

    @Test
    void ramSizeCpusAndIdAreLittleEndian() {
        assertEquals(64L << 20, le(item(0x03, 8)));
        assertEquals(1, le(item(0x05, 2)));
        assertEquals(1, le(item(0x0f, 2)), "max CPUs");
        assertEquals(1, le(item(0x01, 4)), "ID: traditional interface only");
    }

    @Test
    void commandLineHasItsSizeAndANul() {
        assertEquals(16, le(item(0x14, 4)));
        assertEquals("kernel.elf arg1\0", new String(item(0x15, 16), StandardCharsets.US_ASCII));
    }

    @Test
    void readsPastTheEndAndUnknownItemsGiveZeroAndSelectingRewinds() {
        byte[] sig = item(0x00, 6);
        assertEquals(0, sig[4]);
        assertEquals(0, sig[5]);
        assertEquals(0, le(item(0x1234, 4)));
        assertEquals('Q', item(0x00, 1)[0], "a new selection starts at the item's first byte");
        assertEquals(0, le(item(0x19, 4)), "file directory: no files");
    }

    @Test
    void aWideReadTakesConsecutiveBytes() {
        fw.write(FwCfg.SELECTOR_PORT, 2, 0x00);
        assertEquals(0x554D4551, fw.read(FwCfg.DATA_PORT, 4), "'QEMU' little endian");
    }

    @Test
    void anOverlongCommandLineIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new FwCfg(1 << 20, 1, "x".repeat(FwCfg.MAX_CMDLINE + 1)));
    }
}
