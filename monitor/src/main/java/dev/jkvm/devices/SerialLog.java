package dev.jkvm.devices;

import dev.jkvm.util.IoErrors;
import dev.jkvm.util.OutputFile;
import dev.jkvm.util.Sizes;
import dev.jkvm.util.UsageException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One VM's whole serial output in a file of its own ({@code --serial-out DIR}: {@code DIR/vm0.serial}),
 * byte for byte, up to a cap. A guest may write for as long as it runs, so the file stops growing at
 * the cap; the bytes beyond it are counted and a note at the end of the file says how many. A write
 * that fails (the disk is full) ends the file there, with the reason kept for the run's output; the
 * guest is never stopped by its output. Owns the file; {@link #close} once, after the vCPU thread ended.
 */
public final class SerialLog implements AutoCloseable {
    /** Default cap per VM: a guest must not fill the disk unnoticed. */
    public static final long DEFAULT_CAP = 64L << 20;
    /** The largest cap accepted (--serial-cap). */
    public static final long MAX_CAP = 1L << 40;
    private static final int BUFFER = 64 << 10;

    private final Path file;
    private final long cap;
    private OutputStream out; // null once closed or failed
    private long written;
    private long beyondCap;
    private String failure;

    private SerialLog(Path file, long cap, OutputStream out) {
        this.file = file;
        this.cap = cap;
        this.out = out;
    }

    /** The file a VM's output goes to in {@code dir}. */
    public static Path fileOf(Path dir, String vmName) {
        return dir.resolve(vmName + ".serial");
    }

    /**
     * Creates (or empties) {@code file}. A symbolic link there is refused (ELOOP), never followed: as
     * root, following one would overwrite whatever file it points to.
     */
    public static SerialLog open(Path file, long cap) throws IOException {
        return new SerialLog(file, cap, new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS), BUFFER));
    }

    /**
     * Fails with a usage error, before anything starts, when {@code dir} cannot hold the output files
     * or {@code cap} is out of bounds, or when one of the files of VMs vm0 to vm{@code vms - 1} is there
     * but cannot be one (a directory, a FIFO, a device, a symbolic link, a file not writable): found
     * only when that VM opened it, the run failed after emptying the files before it. Creates
     * {@code dir} when missing.
     */
    public static void requireUsable(Path dir, long cap, int vms) {
        if (cap < 1 || cap > MAX_CAP) {
            throw new UsageException("--serial-cap must be between 1 byte and " + Sizes.format(MAX_CAP) + ", got " + cap + " bytes");
        }
        if (dir.toString().isEmpty()) throw new UsageException("--serial-out needs a directory, e.g. --serial-out serial/");
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UsageException("--serial-out " + dir + " is not a directory; give a directory for the files vm0.serial, vm1.serial, …");
        }
        String why = OutputFile.directoryProblem(dir);
        if (why != null) throw new UsageException("cannot write serial output into " + dir + ": " + why + "; choose another --serial-out directory");
        for (int i = 0; i < vms; i++) {
            Path file = fileOf(dir, "vm" + i);
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) continue;
            String problem = Files.isSymbolicLink(file) ? "a symbolic link (not followed)"
                    : Files.isDirectory(file) ? "a directory"
                    : !Files.isRegularFile(file) ? "not a regular file"
                    : !Files.isWritable(file) ? "not writable" : null;
            if (problem != null) {
                throw new UsageException("--serial-out " + dir + ": " + file + " is " + problem + "; remove it or choose another --serial-out directory");
            }
        }
    }

    /** One byte of output: written while under the cap, counted beyond it. Never throws. */
    public synchronized void write(byte b) {
        if (written >= cap) {
            beyondCap++;
            return;
        }
        if (out == null) return;
        try {
            out.write(b);
            written++;
        } catch (IOException e) {
            fail(e);
        }
    }

    /** Bytes in the file (the note at the end not counted). */
    public synchronized long bytesWritten() {
        return written;
    }

    /** Bytes the guest wrote after the cap was reached, not in the file. */
    public synchronized long bytesBeyondCap() {
        return beyondCap;
    }

    public Path file() {
        return file;
    }

    /**
     * One line for the run's output when the file is not the whole output (capped, or a write
     * failed), else null.
     */
    public synchronized String problem(String vmName) {
        if (failure != null) {
            return "jkvm: " + vmName + " serial output to " + file + " is incomplete: " + failure + " (the guest's first "
                    + written + " bytes were handed to it; the rest was not written)";
        }
        if (beyondCap > 0) {
            return "jkvm: " + vmName + " serial output capped at " + Sizes.format(cap) + " in " + file + "; "
                    + beyondCap + " later bytes not written (--serial-cap)";
        }
        return null;
    }

    /** Writes the note about capped output, then closes the file. Idempotent. */
    @Override
    public synchronized void close() {
        if (out == null) return;
        try {
            if (beyondCap > 0) {
                out.write(("\n[jkvm: serial output capped at " + cap + " bytes (--serial-cap); " + beyondCap
                        + " later bytes not written]\n").getBytes(StandardCharsets.UTF_8));
            }
            out.close();
            out = null;
        } catch (IOException e) {
            fail(e);
        }
    }

    private void fail(IOException e) {
        failure = IoErrors.reason(e);
        try {
            out.close();
        } catch (IOException ignored) {
            // The reason above is the one that counts.
        }
        out = null;
    }
}
