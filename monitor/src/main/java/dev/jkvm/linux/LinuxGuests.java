package dev.jkvm.linux;

import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.guest.GuestManifest;
import dev.jkvm.guest.LinuxOptions;
import dev.jkvm.sandbox.CpioWriter;
import dev.jkvm.sandbox.SandboxAssets;
import dev.jkvm.sandbox.SandboxConfig;
import dev.jkvm.sandbox.SandboxException;
import dev.jkvm.util.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Resolves --guest with Linux in mind. The built-in {@code linux} guest is Debian's kernel from the
 * cache the sandbox shares (downloaded when missing) booted from its already-decompressed vmlinux
 * when the cache has one, with an initramfs written here: /init is the guests module's static
 * {@code linux-init}. Everything else goes to {@link GuestCatalog}.
 */
public final class LinuxGuests {
    public static final String BUILT_IN = "linux";
    private static final String INIT_RESOURCE = "dev/jkvm/guests/linux-init";

    private LinuxGuests() {}

    /**
     * @param arg the --arg value, or null for the manifest's: the built-in guest finds it on its
     *            command line as {@code jkvm.arg=N} (seconds of work)
     */
    public static GuestImage resolve(String nameOrPath, OptionalLong memory, LinuxOptions options, Long arg, Consumer<String> progress) {
        if (!nameOrPath.equals(BUILT_IN)) return GuestCatalog.resolve(nameOrPath, memory, options);
        if (options.initrd().isPresent()) {
            throw new UsageException("--initrd is for a kernel given by path; the built-in linux guest brings its own initramfs");
        }
        GuestManifest manifest = GuestCatalog.builtInManifest(BUILT_IN);
        SandboxAssets.DebianKernel kernel;
        try {
            kernel = SandboxAssets.debianKernel(SandboxConfig.defaultCacheDir(System.getenv()), progress);
        } catch (SandboxException e) {
            throw new UsageException("the built-in linux guest needs Debian's kernel: " + e.getMessage());
        }
        long seconds = arg != null ? arg : manifest.arg().orElse(3);
        String cmdline = options.cmdline() + " jkvm.arg=" + seconds;
        LinuxOptions builtIn = new LinuxOptions(Optional.empty(), Optional.of(initramfs()), cmdline, kernel.vmlinux());
        long mem = memory.orElse(manifest.memory());
        return GuestCatalog.linux(manifest, GuestCatalog.readBounded(kernel.vmlinuz(), "kernel", mem), kernel.vmlinuz().toString(), builtIn, mem);
    }

    /** The initramfs: /init (linux-init), /dev/console for init's standard streams, /proc to mount. */
    static byte[] initramfs() {
        byte[] init;
        try (InputStream in = LinuxGuests.class.getClassLoader().getResourceAsStream(INIT_RESOURCE)) {
            if (in == null) throw new IllegalStateException("built-in guest resource missing: " + INIT_RESOURCE + " (is jkvm-guests on the class path?)");
            init = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(init.length + 4096);
        try (CpioWriter cpio = new CpioWriter(out)) {
            cpio.directory("dev", 0755);
            cpio.directory("proc", 0755);
            // The kernel opens /dev/console for init's standard streams before anything mounts devtmpfs.
            cpio.charDevice("dev/console", 0600, 5, 1);
            cpio.file("init", 0755, init);
            cpio.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
