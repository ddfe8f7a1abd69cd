package dev.jkvm.cli;

import dev.jkvm.sandbox.Sandbox;
import dev.jkvm.sandbox.SandboxConfig;
import dev.jkvm.sandbox.SandboxException;
import dev.jkvm.util.Durations;
import dev.jkvm.util.Sizes;
import dev.jkvm.util.UsageException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** `jkvm sandbox`: runs a command (or a shell) as root inside the nested-KVM sandbox. */
@Command(name = "sandbox", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Run COMMAND as root inside the nested-KVM sandbox, where /dev/kvm, KVM tracepoints and kprobes work.",
            "The sandbox is a Debian kernel under QEMU (TCG) whose CPU has SVM, so it works even where this machine has no /dev/kvm. "
                    + "The host's file system is visible read-only at the same paths, /tmp is a fresh tmpfs, the output "
                    + "directory and each --share are read-write. COMMAND runs in the current directory with this "
                    + "environment and no standard input; its stdout, stderr and exit status are passed through unchanged.",
            "Without COMMAND: an interactive shell on the console.",
            "The first run downloads the Debian kernel package into the cache (never into /boot)."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "N:COMMAND's own exit status",
            "2:usage error (nothing was started)",
            "3:the sandbox could not be used (QEMU missing, kernel package not downloadable, boot failed)",
            "124:COMMAND ran past --timeout and the sandbox was killed",
            "130:interrupted"
        })
public final class SandboxCommand implements Callable<Integer> {
    public static final int TIMEOUT_STATUS = 124;
    public static final int INTERRUPTED_STATUS = 130;

    @Spec
    CommandSpec spec;

    @Option(names = "--cpus", paramLabel = "N", defaultValue = "2",
            description = "Guest CPUs, at least 2: one to pin vCPUs to, one for the monitor's other threads (default: ${DEFAULT-VALUE}).")
    int cpus;

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "4G", description = "Guest memory (default: ${DEFAULT-VALUE}).")
    String memory;

    @Option(names = "--timeout", paramLabel = "D", description = "Kill the sandbox if COMMAND runs longer than D (e.g. 90s, 10m); default: no limit.")
    String timeout;

    @Option(names = "--boot-timeout", paramLabel = "D", defaultValue = "90s",
            description = "Give up if the sandbox is not ready after D (default: ${DEFAULT-VALUE}).")
    String bootTimeout;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", defaultValue = "jkvm-out",
            description = "Directory shared read-write at the same path, for recordings and reports; the console log is left there as "
                    + Sandbox.CONSOLE_LOG_NAME + " (default: ./${DEFAULT-VALUE}).")
    Path output;

    @Option(names = "--share", paramLabel = "DIR", description = "Another directory to share read-write at the same path (repeatable).")
    List<Path> shares = new ArrayList<>();

    @Option(names = "--kernel", paramLabel = "FILE", description = "Boot this kernel instead of the cached Debian one.")
    Path kernel;

    @Option(names = "--initrd", paramLabel = "FILE", description = "Boot this initramfs instead of the generated one (it must be a jkvm sandbox initramfs).")
    Path initrd;

    @Option(names = "--cache", paramLabel = "DIR",
            description = "Cache directory for the kernel and initramfs (default: $" + SandboxConfig.CACHE_ENV + ", else $XDG_CACHE_HOME/jkvm, else ~/.cache/jkvm).")
    Path cache;

    @Option(names = {"-v", "--verbose"}, description = "Also print how long the sandbox took to boot.")
    boolean verbose;

    @Parameters(arity = "0..*", paramLabel = "COMMAND", description = "The command and its arguments (put them after --).")
    List<String> command = new ArrayList<>();

    /** Where COMMAND's output goes: the process's own stdout and stderr, as bytes (tests may replace them). */
    OutputStream commandOut = new FileOutputStream(FileDescriptor.out);
    OutputStream commandErr = new FileOutputStream(FileDescriptor.err);

    private static void requireReadableFile(Path file, String option) {
        if (file == null) return;
        if (!Files.exists(file)) throw new UsageException(option + " " + file + ": no such file");
        if (!Files.isRegularFile(file)) throw new UsageException(option + " " + file + " is not a regular file");
        if (!Files.isReadable(file)) throw new UsageException(option + " " + file + ": permission denied");
    }

    /** A usage error unless {@code dir} is (or can be made) a directory the sandbox can write into; makes it. */
    private static void requireUsableDirectory(Path dir, String option) {
        if (dir == null) return;
        if (dir.toString().isEmpty()) throw new UsageException(option + " needs a directory");
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new UsageException(option + " " + dir + " is not a directory");
        String why = dev.jkvm.util.OutputFile.directoryProblem(dir);
        if (why != null) throw new UsageException("cannot write into " + option + " " + dir + ": " + why);
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (cpus < SandboxConfig.MIN_CPUS) {
            throw new UsageException("--cpus must be at least " + SandboxConfig.MIN_CPUS + " (one CPU to pin vCPUs to, one for the monitor's other threads)");
        }
        long memoryBytes = Sizes.parse(memory);
        if (memoryBytes < (long) SandboxConfig.MIN_MEMORY_MIB << 20) {
            throw new UsageException("--memory must be at least " + SandboxConfig.MIN_MEMORY_MIB + "M");
        }
        for (Path share : shares) {
            if (!Files.isDirectory(share)) throw new UsageException("--share " + share + ": no such directory");
        }
        if (initrd != null && kernel == null) {
            throw new UsageException("--initrd needs --kernel too (the generated initramfs matches the cached kernel only)");
        }
        // Checked here, not when QEMU or the cache first touches them (then an "unavailable" exit 3 naming only the path).
        requireReadableFile(kernel, "--kernel");
        requireReadableFile(initrd, "--initrd");
        requireUsableDirectory(output, "--output");
        requireUsableDirectory(cache, "--cache");
        var cause = Sandbox.unavailabilityCause();
        if (cause.isPresent()) {
            err.println("jkvm sandbox: " + cause.get());
            err.flush();
            return ExitCodes.KVM_UNAVAILABLE;
        }

        SandboxConfig cfg = SandboxConfig.defaults()
                .withCpus(cpus)
                .withMemoryMiB((int) Math.min(Integer.MAX_VALUE, memoryBytes >> 20))
                .withTimeout(timeout == null ? null : Durations.parse(timeout))
                .withBootTimeout(Durations.parse(bootTimeout))
                .withOutputDir(output)
                .withShares(shares)
                .withKernel(kernel)
                .withInitrd(initrd)
                .withProgress(line -> {
                    err.println(line);
                    err.flush();
                });
        if (cache != null) cfg = cfg.withCacheDir(cache);
        Map<String, String> env = System.getenv();
        spec.commandLine().getOut().flush();
        err.flush();
        try {
            if (command.isEmpty()) {
                return Sandbox.runInteractive(cfg, env, shell(env));
            }
            if (!verbose) return Sandbox.run(cfg, command, env, commandOut, commandErr);
            try (Sandbox sandbox = Sandbox.boot(cfg)) {
                err.printf("jkvm sandbox: ready after %.1f s%n", sandbox.bootTime().toMillis() / 1000.0);
                err.flush();
                return sandbox.exec(command, env, commandOut, commandErr);
            }
        } catch (SandboxException e) {
            err.println("jkvm sandbox: " + e.getMessage());
            err.flush();
            return switch (e.step()) {
                case COMMAND_TIMEOUT -> TIMEOUT_STATUS;
                case INTERRUPTED -> INTERRUPTED_STATUS;
                default -> ExitCodes.KVM_UNAVAILABLE;
            };
        }
    }

    /** The interactive shell: the caller's $SHELL if the host has it, else bash, else sh. */
    private static String shell(Map<String, String> env) {
        String s = env.get("SHELL");
        if (s != null && s.startsWith("/") && Files.isExecutable(Path.of(s))) return s;
        return Files.isExecutable(Path.of("/bin/bash")) ? "/bin/bash" : "/bin/sh";
    }
}
