package dev.jkvm.sandbox;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The sandbox's initramfs: a static busybox, the init script (resource init.sh) and the kernel
 * modules in load order. Left uncompressed: unpacking is cheap, decompressing under TCG is not.
 */
final class Initramfs {
    static final String INIT_RESOURCE = "init.sh";

    /** A kernel module to load, by the name insmod gets (e.g. "kvm-amd"), and its uncompressed file. */
    record Module(String name, Path file) {}

    private Initramfs() {}

    /** The init script's text, as shipped in the jar. */
    static String initScript() {
        try (InputStream in = Initramfs.class.getResourceAsStream(INIT_RESOURCE)) {
            if (in == null) throw new IllegalStateException("resource " + INIT_RESOURCE + " missing from the jkvm jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A key that changes whenever an input changes: the kernel release, every module's bytes,
     * busybox's bytes and the init script. The cached archive is named after it.
     */
    static String cacheKey(String kernelRelease, Path busybox, List<Module> modules, String initScript) throws IOException {
        MessageDigest sha = sha256();
        update(sha, "kernel " + kernelRelease);
        update(sha, "busybox " + digest(busybox));
        for (Module m : modules) update(sha, "module " + m.name() + " " + digest(m.file()));
        update(sha, "init " + initScript);
        return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    }

    /** Writes the archive to {@code dest} (through a temporary file, so a crash leaves no half archive). */
    static void write(Path dest, Path busybox, List<Module> modules, String initScript) throws IOException {
        Path tmp = dest.resolveSibling(dest.getFileName() + ".tmp" + ProcessHandle.current().pid());
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
             CpioWriter cpio = new CpioWriter(os)) {
            for (String dir : List.of("bin", "dev", "etc", "etc/jkvm", "lib", "lib/modules", "newroot", "proc", "run", "sys", "tmp")) {
                cpio.directory(dir, 0755);
            }
            // The kernel opens /dev/console for init's standard streams before devtmpfs is mounted.
            cpio.charDevice("dev/console", 0600, 5, 1);
            cpio.file("bin/busybox", 0755, Files.readAllBytes(busybox));
            cpio.file("init", 0755, initScript.getBytes(StandardCharsets.UTF_8));
            StringBuilder order = new StringBuilder();
            for (Module m : modules) {
                cpio.file("lib/modules/" + m.name() + ".ko", 0644, Files.readAllBytes(m.file()));
                order.append(m.name()).append('\n');
            }
            cpio.file("etc/jkvm/modules", 0644, order.toString().getBytes(StandardCharsets.UTF_8));
            cpio.finish();
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, dest, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    static String digest(Path file) throws IOException {
        MessageDigest sha = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) sha.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static void update(MessageDigest sha, String s) {
        sha.update(s.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
