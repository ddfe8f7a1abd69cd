package dev.jkvm.sandbox;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * How to boot the sandbox. Build one with {@link #defaults()} and the {@code with…} methods.
 *
 * @param cpus          guest CPUs; at least 2: one to pin vCPUs to, one for the monitor's other threads
 * @param memoryMiB     guest memory
 * @param timeout       how long a command may run before the sandbox is killed (empty: no limit)
 * @param bootTimeout   how long QEMU may take to bring the guest to a ready state (TCG is slow; the
 *                      default leaves room for a loaded machine)
 * @param outputDir     shared read-write at the same path; the console log is left there
 * @param shares        further directories shared read-write at their own paths
 * @param workingDir    the command's working directory inside (the same path as on the host)
 * @param cacheDir      where the kernel, busybox and initramfs are cached
 * @param kernel        a kernel image to boot instead of the cached Debian one
 * @param initrd        an initramfs to boot instead of the generated one (it must speak jkvm's init protocol)
 * @param progress      receives the few progress lines (preparing the cache, booting)
 */
public record SandboxConfig(
        int cpus,
        int memoryMiB,
        Optional<Duration> timeout,
        Duration bootTimeout,
        Path outputDir,
        List<Path> shares,
        Path workingDir,
        Path cacheDir,
        Optional<Path> kernel,
        Optional<Path> initrd,
        Consumer<String> progress) {

    public static final int MIN_CPUS = 2;
    public static final int DEFAULT_CPUS = 2;
    public static final int DEFAULT_MEMORY_MIB = 4096;
    public static final int MIN_MEMORY_MIB = 512;
    public static final Duration DEFAULT_BOOT_TIMEOUT = Duration.ofSeconds(90);
    /** Overrides the cache directory (also -Djkvm.sandbox.cache). */
    public static final String CACHE_ENV = "JKVM_SANDBOX_CACHE";

    public SandboxConfig {
        if (cpus < MIN_CPUS) {
            throw new IllegalArgumentException("the sandbox needs at least " + MIN_CPUS
                    + " CPUs (one to pin vCPUs to, one for the monitor's other threads), not " + cpus);
        }
        if (memoryMiB < MIN_MEMORY_MIB) {
            throw new IllegalArgumentException("the sandbox needs at least " + MIN_MEMORY_MIB + " MiB of memory, not " + memoryMiB);
        }
        Objects.requireNonNull(timeout);
        Objects.requireNonNull(bootTimeout);
        outputDir = outputDir.toAbsolutePath().normalize();
        shares = shares.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        workingDir = workingDir.toAbsolutePath().normalize();
        cacheDir = cacheDir.toAbsolutePath().normalize();
        Objects.requireNonNull(kernel);
        Objects.requireNonNull(initrd);
        Objects.requireNonNull(progress);
    }

    /** 2 CPUs, 4 GiB, no command timeout, ./jkvm-out, the caller's cwd, the default cache, progress to stderr. */
    public static SandboxConfig defaults() {
        Path cwd = Path.of(System.getProperty("user.dir"));
        return new SandboxConfig(DEFAULT_CPUS, DEFAULT_MEMORY_MIB, Optional.empty(), DEFAULT_BOOT_TIMEOUT,
                cwd.resolve("jkvm-out"), List.of(), cwd, defaultCacheDir(System.getenv()),
                Optional.empty(), Optional.empty(), line -> System.err.println(line));
    }

    /**
     * $JKVM_SANDBOX_CACHE (or -Djkvm.sandbox.cache), else $XDG_CACHE_HOME/jkvm, else ~/.cache/jkvm.
     */
    public static Path defaultCacheDir(Map<String, String> env) {
        String property = System.getProperty("jkvm.sandbox.cache");
        if (property != null && !property.isBlank()) return Path.of(property);
        String override = env.get(CACHE_ENV);
        if (override != null && !override.isBlank()) return Path.of(override);
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) return Path.of(xdg, "jkvm");
        return Path.of(System.getProperty("user.home"), ".cache", "jkvm");
    }

    public SandboxConfig withCpus(int n) {
        return new SandboxConfig(n, memoryMiB, timeout, bootTimeout, outputDir, shares, workingDir, cacheDir, kernel, initrd, progress);
    }

    public SandboxConfig withMemoryMiB(int mib) {
        return new SandboxConfig(cpus, mib, timeout, bootTimeout, outputDir, shares, workingDir, cacheDir, kernel, initrd, progress);
    }

    public SandboxConfig withTimeout(Duration t) {
        return new SandboxConfig(cpus, memoryMiB, Optional.ofNullable(t), bootTimeout, outputDir, shares, workingDir, cacheDir, kernel, initrd, progress);
    }

    public SandboxConfig withBootTimeout(Duration t) {
        return new SandboxConfig(cpus, memoryMiB, timeout, t, outputDir, shares, workingDir, cacheDir, kernel, initrd, progress);
    }

    public SandboxConfig withOutputDir(Path dir) {
        return new SandboxConfig(cpus, memoryMiB, timeout, bootTimeout, dir, shares, workingDir, cacheDir, kernel, initrd, progress);
    }

    public SandboxConfig withShares(List<Path> dirs) {
        return new SandboxConfig(cpus, memoryMiB, timeout, bootTimeout, outputDir, List.copyOf(dirs), workingDir, cacheDir, kernel, initrd, progress);
    }

    public SandboxConfig withWorkingDir(Path dir) {
        return new SandboxConfig(cpus, memoryMiB, timeout, bootTimeout, outputDir, shares, dir, cacheDir, kernel, initrd, progress);
    }

    public SandboxConfig withCacheDir(Path dir) {
        return new SandboxConfig(cpus, memoryMiB, timeout, bootTimeout, outputDir, shares, workingDir, dir, kernel, initrd, progress);
    }

    public SandboxConfig withKernel(Path file) {
        return new SandboxConfig(cpus, memoryMiB, timeout, bootTimeout, outputDir, shares, workingDir, cacheDir, Optional.ofNullable(file), initrd, progress);
    }

    public SandboxConfig withInitrd(Path file) {
        return new SandboxConfig(cpus, memoryMiB, timeout, bootTimeout, outputDir, shares, workingDir, cacheDir, kernel, Optional.ofNullable(file), progress);
    }

    public SandboxConfig withProgress(Consumer<String> sink) {
        return new SandboxConfig(cpus, memoryMiB, timeout, bootTimeout, outputDir, shares, workingDir, cacheDir, kernel, initrd, sink);
    }
}
