package dev.jkvm.sandbox;

import dev.jkvm.sandbox.SandboxException.Step;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * The kernel, modules, busybox and initramfs the sandbox boots, cached under the cache directory:
 * <pre>
 *   kernel/PACKAGE_VERSION/   vmlinuz, vmlinux (when it could be unpacked), release, modules/NAME.ko
 *   busybox/PACKAGE_VERSION/  busybox (only when the host has no static busybox installed)
 *   initramfs/KEY.cpio        KEY hashes the kernel release, modules, busybox and init script
 * </pre>
 * Everything comes from Debian packages downloaded and unpacked here, never installed: the host's
 * /boot and package set stay as they are. A file lock keeps two jkvm processes from preparing the
 * cache at once.
 */
public final class SandboxAssets {
    /** The metapackage that names the current Debian kernel. */
    static final String KERNEL_METAPACKAGE = "linux-image-amd64";
    static final String BUSYBOX_PACKAGE = "busybox-static";

    /**
     * The modules the sandbox loads, in an order that loads cleanly with insmod (no modprobe, no
     * modules.dep in the initramfs): virtio transport, virtio-serial, 9p, then KVM for AMD.
     */
    static final List<String> MODULES = List.of(
            "virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci",
            "virtio_console", "netfs", "fscache", "9pnet", "9pnet_virtio", "9p",
            "irqbypass", "kvm", "ccp", "kvm-amd");

    /** What QEMU boots. */
    public record BootFiles(Path kernel, Path initramfs, String kernelRelease) {}

    private final Path cacheDir;
    private final Consumer<String> progress;
    private boolean announced;

    private SandboxAssets(Path cacheDir, Consumer<String> progress) {
        this.cacheDir = cacheDir;
        this.progress = progress;
    }

    /** Resolves the boot files for this configuration, preparing the cache when needed. */
    public static BootFiles prepare(SandboxConfig cfg) throws SandboxException {
        if (cfg.kernel().isPresent() && cfg.initrd().isPresent()) {
            Path k = requireFile(cfg.kernel().get(), "--kernel");
            Path i = requireFile(cfg.initrd().get(), "--initrd");
            return new BootFiles(k, i, k.getFileName().toString());
        }
        SandboxAssets assets = new SandboxAssets(cfg.cacheDir(), cfg.progress());
        try {
            Files.createDirectories(cfg.cacheDir());
        } catch (IOException e) {
            throw new SandboxException(Step.ASSETS, "cannot create the sandbox cache directory " + cfg.cacheDir() + ": " + e.getMessage()
                    + " (set " + SandboxConfig.CACHE_ENV + " to a writable directory)", e);
        }
        try (FileChannel lockFile = FileChannel.open(cfg.cacheDir().resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockFile.lock()) {
            BootFiles files = assets.prepareLocked(cfg);
            return new BootFiles(cfg.kernel().map(SandboxAssets::absolute).orElse(files.kernel()),
                    cfg.initrd().map(SandboxAssets::absolute).orElse(files.initramfs()), files.kernelRelease());
        } catch (IOException e) {
            throw new SandboxException(Step.ASSETS, "preparing the sandbox cache in " + cfg.cacheDir() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException(Step.INTERRUPTED, "interrupted while preparing the sandbox cache", e);
        }
    }

    /** Debian's kernel as cached: the bzImage, the ELF inside it when it could be unpacked, and its release. */
    public record DebianKernel(Path vmlinuz, Optional<Path> vmlinux, String release) {}

    /**
     * The current Debian kernel (linux-image-amd64) from the cache in {@code cacheDir}, downloaded and
     * unpacked there first when missing (progress lines go to {@code progress}); the same files the
     * sandbox boots. Fails with the reason and what to do (e.g. no apt lists, no network).
     */
    public static DebianKernel debianKernel(Path cacheDir, Consumer<String> progress) throws SandboxException {
        SandboxAssets assets = new SandboxAssets(cacheDir, progress);
        try {
            Files.createDirectories(cacheDir);
        } catch (IOException e) {
            throw new SandboxException(Step.ASSETS, "cannot create the cache directory " + cacheDir + ": " + e.getMessage()
                    + " (set " + SandboxConfig.CACHE_ENV + " to a writable directory)", e);
        }
        FileChannel lockFile = null;
        try {
            try {
                lockFile = FileChannel.open(cacheDir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                lockFile.lock();
            } catch (IOException e) {
                // A read-only cache (the host's, shared into the sandbox) cannot be locked, nor changed by anyone here.
                if (lockFile != null) lockFile.close();
                lockFile = null;
            }
            KernelFiles k = assets.kernel();
            Path vmlinux = k.dir().resolve("vmlinux");
            return new DebianKernel(k.dir().resolve("vmlinuz"), Files.isRegularFile(vmlinux) ? Optional.of(vmlinux) : Optional.empty(), k.release());
        } catch (IOException e) {
            throw new SandboxException(Step.ASSETS, "preparing the kernel cache in " + cacheDir + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException(Step.INTERRUPTED, "interrupted while preparing the kernel cache", e);
        } finally {
            if (lockFile != null) {
                try {
                    lockFile.close(); // releases the lock
                } catch (IOException e) {
                    // nothing held any more
                }
            }
        }
    }

    private BootFiles prepareLocked(SandboxConfig cfg) throws SandboxException, IOException, InterruptedException {
        KernelFiles kernel = kernel();
        Path busybox = busybox();
        List<Initramfs.Module> modules = new ArrayList<>();
        for (String name : MODULES) modules.add(new Initramfs.Module(name, kernel.dir().resolve("modules").resolve(name + ".ko")));
        String init = Initramfs.initScript();
        String key = Initramfs.cacheKey(kernel.release(), busybox, modules, init);
        Path initramfs = cacheDir.resolve("initramfs").resolve("jkvm-" + kernel.release() + "-" + key + ".cpio");
        if (!Files.isRegularFile(initramfs)) {
            announce("building initramfs");
            Files.createDirectories(initramfs.getParent());
            Initramfs.write(initramfs, busybox, modules, init);
        }
        Path vmlinux = kernel.dir().resolve("vmlinux");
        Path boot = Files.isRegularFile(vmlinux) ? vmlinux : kernel.dir().resolve("vmlinuz");
        return new BootFiles(boot, initramfs, kernel.release());
    }

    private record KernelFiles(Path dir, String release) {}

    /** The current Debian kernel package, downloaded and reduced to what the sandbox needs. */
    private KernelFiles kernel() throws SandboxException, IOException, InterruptedException {
        Path kernels = cacheDir.resolve("kernel");
        DebianPackages.Package pkg;
        try {
            pkg = DebianPackages.resolveDependencyRemembered(kernels.resolve("resolved"), KERNEL_METAPACKAGE, "linux-image-");
        } catch (SandboxException e) {
            // Without apt (or its lists) a kernel cached earlier still boots.
            Optional<Path> cached = newestComplete(kernels);
            if (cached.isPresent()) return new KernelFiles(cached.get(), Files.readString(cached.get().resolve("release")).strip());
            throw e;
        }
        Path dir = kernels.resolve(pkg.key());
        if (Files.isRegularFile(dir.resolve("release"))) {
            return new KernelFiles(dir, Files.readString(dir.resolve("release")).strip());
        }
        announce("downloading " + pkg.name() + " " + pkg.version() + ", then building the initramfs");
        Path work = Files.createDirectories(kernels).resolve(pkg.key() + ".download");
        Path staging = kernels.resolve(pkg.key() + ".staging");
        deleteTree(work);
        deleteTree(staging);
        try {
            Path root = DebianPackages.downloadAndUnpack(pkg, work);
            Path modulesRoot = root.resolve("lib/modules");
            if (!Files.isDirectory(modulesRoot)) modulesRoot = root.resolve("usr/lib/modules");
            String release = singleSubdirectory(modulesRoot, pkg);
            Files.createDirectories(staging.resolve("modules"));
            Path vmlinuz = root.resolve("boot/vmlinuz-" + release);
            if (!Files.isRegularFile(vmlinuz)) {
                throw new SandboxException(Step.ASSETS, "the Debian package " + pkg.name() + " has no boot/vmlinuz-" + release);
            }
            Files.copy(vmlinuz, staging.resolve("vmlinuz"));
            Path config = root.resolve("boot/config-" + release);
            if (Files.isRegularFile(config) && Files.readAllLines(config).contains("CONFIG_PVH=y")) {
                // Optional: without xz the bzImage boots, about 2.5 s more slowly.
                KernelImage.extractVmlinux(vmlinuz, staging.resolve("vmlinux"));
            }
            Map<String, Path> found = moduleFiles(modulesRoot.resolve(release));
            for (String name : MODULES) {
                Path source = found.get(normalize(name));
                if (source == null) {
                    throw new SandboxException(Step.ASSETS, "the Debian package " + pkg.name() + " has no kernel module " + name
                            + " (the sandbox needs " + String.join(", ", MODULES) + ")");
                }
                decompressModule(source, staging.resolve("modules").resolve(name + ".ko"));
            }
            Files.writeString(staging.resolve("release"), release + "\n");
            deleteTree(dir);
            Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
            return new KernelFiles(dir, release);
        } finally {
            deleteTree(work);
            deleteTree(staging);
        }
    }

    /** A static busybox: the installed one (package busybox-static) or one downloaded into the cache. */
    private Path busybox() throws SandboxException, IOException {
        for (Path p : List.of(Path.of("/bin/busybox"), Path.of("/usr/bin/busybox"))) {
            if (Files.isRegularFile(p) && ElfFiles.isStaticExecutable(p)) return p;
        }
        Path busyboxes = cacheDir.resolve("busybox");
        DebianPackages.Package pkg;
        try {
            pkg = DebianPackages.candidate(BUSYBOX_PACKAGE);
        } catch (SandboxException e) {
            Optional<Path> cached = newestComplete(busyboxes);
            if (cached.isPresent()) return cached.get().resolve("busybox");
            throw e;
        }
        Path dir = busyboxes.resolve(pkg.key());
        Path file = dir.resolve("busybox");
        if (Files.isRegularFile(file)) return file;
        announce("downloading " + pkg.name() + " " + pkg.version());
        Path work = Files.createDirectories(busyboxes).resolve(pkg.key() + ".download");
        deleteTree(work);
        try {
            Path root = DebianPackages.downloadAndUnpack(pkg, work);
            Path source = Stream.of("bin/busybox", "usr/bin/busybox").map(root::resolve).filter(Files::isRegularFile).findFirst()
                    .orElseThrow(() -> new SandboxException(Step.ASSETS, "the Debian package " + BUSYBOX_PACKAGE + " has no bin/busybox"));
            Files.createDirectories(dir);
            Path tmp = dir.resolve("busybox.tmp");
            Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(dir.resolve("release"), pkg.version() + "\n");
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } finally {
            deleteTree(work);
        }
    }

    /** Prints the one progress line of a first run, naming everything this preparation will do. */
    private void announce(String step) {
        if (!announced) {
            announced = true;
            progress.accept("jkvm sandbox: preparing the cache in " + cacheDir + " (first run only): " + step + "…");
        }
    }

    private static String singleSubdirectory(Path modulesRoot, DebianPackages.Package pkg) throws SandboxException, IOException {
        if (Files.isDirectory(modulesRoot)) {
            try (Stream<Path> s = Files.list(modulesRoot)) {
                List<Path> dirs = s.filter(Files::isDirectory).toList();
                if (dirs.size() == 1) return dirs.getFirst().getFileName().toString();
            }
        }
        throw new SandboxException(Step.ASSETS, "the Debian package " + pkg.name() + " does not have exactly one lib/modules/RELEASE directory");
    }

    /** Module files under a release directory, keyed by name with '-' read as '_' (as the kernel does). */
    private static Map<String, Path> moduleFiles(Path releaseDir) throws IOException {
        Map<String, Path> found = new HashMap<>();
        Files.walkFileTree(releaseDir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String n = file.getFileName().toString();
                int ko = n.indexOf(".ko");
                if (ko > 0 && (n.endsWith(".ko") || n.endsWith(".ko.xz") || n.endsWith(".ko.zst") || n.endsWith(".ko.gz"))) {
                    found.putIfAbsent(normalize(n.substring(0, ko)), file);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return found;
    }

    private static String normalize(String moduleName) {
        return moduleName.replace('-', '_').toLowerCase(Locale.ROOT);
    }

    /** busybox insmod hands the file to init_module as it is, so compressed modules are unpacked here. */
    private static void decompressModule(Path source, Path dest) throws SandboxException, IOException, InterruptedException {
        String n = source.getFileName().toString();
        if (n.endsWith(".ko")) {
            Files.copy(source, dest, StandardCopyOption.REPLACE_EXISTING);
        } else if (n.endsWith(".gz")) {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(source)); OutputStream out = Files.newOutputStream(dest)) {
                in.transferTo(out);
            }
        } else {
            String tool = n.endsWith(".xz") ? "xz" : "zstd";
            String pkg = n.endsWith(".xz") ? "xz-utils" : "zstd";
            if (HostCommand.onPath(tool).isEmpty()) {
                throw new SandboxException(Step.HOST_SETUP, "the kernel modules are compressed with " + tool + " but " + tool
                        + " is not installed: install the Debian package " + pkg);
            }
            HostCommand.Result r = HostCommand.runTo(dest, 120, List.of(tool, "-dc", source.toString()));
            if (!r.ok()) throw new SandboxException(Step.ASSETS, "could not decompress " + source + ": " + r.lastWords());
        }
    }

    private static Optional<Path> newestComplete(Path parent) throws IOException {
        if (!Files.isDirectory(parent)) return Optional.empty();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(parent)) {
            List<Path> complete = new ArrayList<>();
            for (Path p : s) if (Files.isRegularFile(p.resolve("release"))) complete.add(p);
            return complete.stream().max(Comparator.comparing(p -> {
                try {
                    return Files.getLastModifiedTime(p.resolve("release"));
                } catch (IOException e) {
                    return java.nio.file.attribute.FileTime.fromMillis(0);
                }
            }));
        }
    }

    private static Path requireFile(Path p, String option) throws SandboxException {
        if (!Files.isRegularFile(p)) throw new SandboxException(Step.HOST_SETUP, option + " " + p + ": no such file");
        return absolute(p);
    }

    private static Path absolute(Path p) {
        return p.toAbsolutePath().normalize();
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
