package dev.jkvm.devices;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.testing.Tmpfs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A VM's serial output file: every byte up to the cap, a note past it, and a full disk reported, never thrown. */
class SerialLogTest {
    @TempDir
    Path dir;

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    @Test
    void underTheCapTheFileIsTheOutputByteForByte() throws Exception {
        byte[] output = randomBytes(200_000);
        Path file = SerialLog.fileOf(dir, "vm0");
        try (SerialLog log = SerialLog.open(file, 200_000)) {
            for (byte b : output) log.write(b);
            assertNull(log.problem("vm0"));
        }
        assertArrayEquals(output, Files.readAllBytes(file));
    }

    @Test
    void pastTheCapTheFileStopsAndEndsWithANote() throws Exception {
        byte[] output = randomBytes(10_000);
        Path file = SerialLog.fileOf(dir, "vm3");
        SerialLog log = SerialLog.open(file, 4096);
        for (byte b : output) log.write(b);
        log.close();
        log.close(); // once is enough; twice does nothing
        assertEquals(5904, log.bytesBeyondCap());
        byte[] written = Files.readAllBytes(file);
        byte[] head = java.util.Arrays.copyOf(written, 4096);
        assertArrayEquals(java.util.Arrays.copyOf(output, 4096), head);
        String note = new String(written, 4096, written.length - 4096, StandardCharsets.UTF_8);
        assertEquals("\n[jkvm: serial output capped at 4096 bytes (--serial-cap); 5904 later bytes not written]\n", note);
        assertEquals("jkvm: vm3 serial output capped at 4 KiB in " + file + "; 5904 later bytes not written (--serial-cap)", log.problem("vm3"));
    }

    @Test
    void aFullDiskEndsTheFileWithTheReasonAndNeverThrows() throws Exception {
        try (Tmpfs small = Tmpfs.mount("size=128k")) {
            Path file = SerialLog.fileOf(small.path(), "vm1");
            SerialLog log = SerialLog.open(file, SerialLog.DEFAULT_CAP);
            for (int i = 0; i < 1_000_000; i++) log.write((byte) 'x');
            log.close();
            String problem = log.problem("vm1");
            assertTrue(problem != null && problem.startsWith("jkvm: vm1 serial output to " + file + " is incomplete: No space left on device"),
                    String.valueOf(problem));
            long size = Files.size(file);
            assertTrue(size > 0 && size <= 128 << 10, size + " bytes");
        }
    }

    @Test
    void theConsoleFeedsTheFileEvenWhenNothingIsStreamed() throws Exception {
        Path file = SerialLog.fileOf(dir, "vm0");
        SerialConsole quiet = new SerialConsole("vm0", null, SerialLog.open(file, 1 << 20));
        for (byte b : "line one\nno newline".getBytes(StandardCharsets.UTF_8)) quiet.write(b);
        quiet.finish();
        assertEquals("line one\nno newline", Files.readString(file));
    }
}
