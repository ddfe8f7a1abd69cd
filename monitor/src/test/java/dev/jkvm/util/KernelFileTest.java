package dev.jkvm.util;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class KernelFileTest {
    /** What cat(1) reads from the file: the kernel's text as any C program gets it. */
    private static String cat(String path) throws Exception {
        Process p = new ProcessBuilder("cat", path).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), text);
        return text;
    }

    /**
     * Integer sysctls answer a read at a non-zero offset with end of file: a reader that reads one
     * byte first (Files.readString on a file of length 0) gets the first digit only.
     */
    @Test
    void multiDigitSysctlsReadWhole() throws Exception {
        for (String path : new String[] {"/proc/sys/kernel/pid_max", "/proc/sys/kernel/perf_event_mlock_kb", "/proc/sys/kernel/threads-max"}) {
            String expected = cat(path);
            assertEquals(expected, KernelFile.read(Path.of(path)), path);
            assertEquals(true, expected.strip().length() > 1, path + " should have more than one digit for this test: " + expected);
        }
    }

    @Test
    void longerFilesReadWhole() throws Exception {
        for (String path : new String[] {"/proc/self/limits", "/proc/cpuinfo", "/proc/sys/kernel/osrelease", "/sys/devices/system/cpu/online"}) {
            String expected = cat(path);
            if (path.startsWith("/proc/self")) { // cat's own file: compare the part that is the same for both processes
                assertEquals(expected.lines().findFirst(), KernelFile.read(Path.of(path)).lines().findFirst(), path);
            } else {
                assertEquals(expected, KernelFile.read(Path.of(path)), path);
            }
        }
    }

    @Test
    void anOrdinaryFileReadsAsWritten(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = dir.resolve("big");
        String text = "ä line\n".repeat(50_000); // more than one first read
        Files.writeString(file, text);
        assertEquals(text, KernelFile.read(file));
    }
}
