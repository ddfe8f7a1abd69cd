package dev.jkvm.util;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a kernel text file (/proc, /sys) whole. Files.readString cannot: it sizes its first read by
 * the file's length, which procfs reports as 0, so it reads one byte and then asks again from
 * offset 1, and the kernel's integer sysctls (proc_dointvec and its kin) answer a read at a
 * non-zero offset with end of file. {@code /proc/sys/kernel/perf_event_mlock_kb} read as "5" instead
 * of "516", and a perf_event_paranoid of -1 as "-", which made {@code jkvm check --runner} fail on
 * the bare-metal runners that set it (2026-11-27). A first read with room for the whole text gets it.
 */
public final class KernelFile {
    /** More than any single-value kernel file holds; longer files (/proc/PID/status, limits) come in further reads. */
    private static final int FIRST_READ = 64 << 10;

    private KernelFile() {}

    /** The file's text (UTF-8). */
    public static String read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[FIRST_READ];
            ByteArrayOutputStream text = new ByteArrayOutputStream();
            for (int n; (n = in.read(buffer, 0, buffer.length)) >= 0; ) text.write(buffer, 0, n);
            return text.toString(StandardCharsets.UTF_8);
        }
    }
}
