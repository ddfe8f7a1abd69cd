package dev.jkvm.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A small tmpfs mounted for a test (a real full or read-only file system, not a simulated one);
 * needs root, and the test is skipped where it cannot be mounted. Unmounted and removed by close.
 */
public final class Tmpfs implements AutoCloseable {
    private final Path dir;

    private Tmpfs(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code options} (e.g. "size=64k" or "ro,size=16k") on a new directory. */
    public static Tmpfs mount(String options) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("jkvm-tmpfs");
        int rc = run("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir.toString());
        if (rc != 0) Files.delete(dir);
        Assumptions.assumeTrue(rc == 0, "cannot mount a tmpfs here (needs root)");
        return new Tmpfs(dir);
    }

    public Path path() {
        return dir;
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run("umount", dir.toString());
        Files.deleteIfExists(dir);
    }
}
