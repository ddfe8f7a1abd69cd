package dev.jkvm.sandbox;

import dev.jkvm.sandbox.SandboxException.Step;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The nested-KVM sandbox: a Debian kernel under QEMU TCG with an SVM-capable CPU, so /dev/kvm works
 * inside even where the host has none. The host's file system is visible read-only at the same
 * paths except /tmp, which is the guest's own (the caller's checkout there stays visible,
 * read-only: {@link VisibleCheckout}); the output directory and shares are read-write, and commands
 * run as root in the caller's working directory with their stdout, stderr and exit status carried
 * back exactly.
 *
 * <p>One instance owns one QEMU process and one temporary directory; {@link #close()} (or the
 * shutdown hook, if the JVM is stopped first) kills QEMU and removes the directory. A booted
 * sandbox runs any number of commands one after another ({@link #exec}); {@link #run} is the
 * one-shot form.
 */
public final class Sandbox implements AutoCloseable {
    /** The console log's name in the output directory. */
    public static final String CONSOLE_LOG_NAME = "sandbox-console.log";
    /** How long the last output bytes may trail a job's exit line before the output counts as lost. */
    private static final Duration OUTPUT_GRACE = Duration.ofSeconds(60);

    private final SandboxConfig cfg;
    private final boolean interactive;
    private final Path tempDir;
    private final Path runDir;
    private final ConsoleLog console;
    private final BlockingQueue<GuestEvent> events = new LinkedBlockingQueue<>();
    private final List<ServerSocketChannel> servers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final OutputPump stdout = new OutputPump("stdout");
    private final OutputPump stderr = new OutputPump("stderr");
    private final CompletableFuture<SocketChannel> ctl = new CompletableFuture<>();
    private final Thread shutdownHook;
    /** One job at a time: the guest runs them one after another. */
    private final Object execLock = new Object();
    private volatile Process qemu;
    private Duration bootTime = Duration.ZERO;
    private int jobs;
    private volatile boolean dead;
    private volatile boolean closed;

    /** What the guest (or QEMU) told us. */
    private sealed interface GuestEvent {
        record Ready(double uptimeSeconds) implements GuestEvent {}
        record Failed(String message) implements GuestEvent {}
        record Exited(int job, int status, long outBytes, long errBytes) implements GuestEvent {}
        record QemuGone(int exitCode) implements GuestEvent {}
    }

    private Sandbox(SandboxConfig cfg, boolean interactive, Path tempDir) throws IOException {
        this.cfg = cfg;
        this.interactive = interactive;
        this.tempDir = tempDir;
        this.runDir = Files.createDirectory(tempDir.resolve("run"));
        this.console = new ConsoleLog(tempDir.resolve("console.log"));
        this.shutdownHook = Thread.ofPlatform().unstarted(this::emergencyStop);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    // ---------------------------------------------------------------- public entry points

    /**
     * Why the sandbox cannot be used on this host, or empty if it can (QEMU is present; the kernel
     * and busybox are fetched on first use).
     */
    public static Optional<String> unavailabilityCause() {
        return Qemu.unavailabilityCause();
    }

    /**
     * Boots a sandbox, runs {@code command} (argv, no shell) inside it as root with {@code env}
     * added to a minimal environment, copies the command's stdout to {@code out} and stderr to
     * {@code err} byte for byte, and returns its exit status. Progress lines go to
     * {@link SandboxConfig#progress()}, never to {@code out} or {@code err}.
     *
     * @throws SandboxException if the sandbox itself failed (QEMU, assets, boot, timeout, interrupt)
     */
    public static int run(SandboxConfig cfg, List<String> command, Map<String, String> env, OutputStream out, OutputStream err)
            throws SandboxException {
        try (Sandbox sandbox = boot(cfg)) {
            return sandbox.exec(command, env, out, err);
        }
    }

    /**
     * Boots a sandbox with an interactive shell on the caller's terminal (the serial console) and
     * returns the shell's exit status. The shell is {@code shell} (e.g. /bin/bash) from the host.
     */
    public static int runInteractive(SandboxConfig cfg, Map<String, String> env, String shell) throws SandboxException {
        try (Sandbox sandbox = start(cfg, true, GuestJob.interactiveScript(cfg.workingDir(), env, shell))) {
            GuestEvent.Exited exit = sandbox.awaitExit(0, Optional.empty());
            return exit.status();
        }
    }

    /** Boots a sandbox for {@link #exec}; the caller closes it. */
    public static Sandbox boot(SandboxConfig cfg) throws SandboxException {
        return start(cfg, false, null);
    }

    /** Runs a command with the configured timeout; see {@link #run}. */
    public int exec(List<String> command, Map<String, String> env, OutputStream out, OutputStream err) throws SandboxException {
        return exec(command, env, out, err, cfg.timeout());
    }

    /**
     * Runs one command in this sandbox and returns its exit status. When {@code timeout} passes,
     * the sandbox is killed (it cannot be used afterwards) and a {@link SandboxException} with step
     * {@link Step#COMMAND_TIMEOUT} is thrown.
     */
    public int exec(List<String> command, Map<String, String> env, OutputStream out, OutputStream err,
                    Optional<Duration> timeout) throws SandboxException {
        if (command.isEmpty()) throw new IllegalArgumentException("no command to run");
        synchronized (execLock) {
            return execLocked(command, env, out, err, timeout);
        }
    }

    private int execLocked(List<String> command, Map<String, String> env, OutputStream out, OutputStream err,
                           Optional<Duration> timeout) throws SandboxException {
        if (closed || dead) throw new SandboxException(Step.RUN, "the sandbox is no longer running");
        int job = ++jobs;
        long outBase = stdout.total();
        long errBase = stderr.total();
        try {
            Files.writeString(runDir.resolve("job-" + job + ".sh"), GuestJob.commandScript(cfg.workingDir(), env, command));
            stdout.sink(out);
            stderr.sink(err);
            send("run " + job);
            GuestEvent.Exited exit = awaitExit(job, timeout);
            long deadline = System.nanoTime() + OUTPUT_GRACE.toNanos();
            boolean complete;
            try {
                complete = stdout.awaitTotal(outBase + exit.outBytes(), deadline)
                        && stderr.awaitTotal(errBase + exit.errBytes(), deadline);
            } catch (InterruptedException e) {
                throw interrupted(e);
            }
            if (!complete) {
                throw failure(Step.RUN, "the command's output did not all arrive from the sandbox (expected "
                        + exit.outBytes() + " bytes of stdout and " + exit.errBytes() + " of stderr)");
            }
            return exit.status();
        } catch (IOException e) {
            throw failure(Step.RUN, "could not hand the command to the sandbox: " + e.getMessage());
        } finally {
            stdout.sink(null);
            stderr.sink(null);
        }
    }

    /** From QEMU's start until the guest reported ready (host file system mounted, /dev/kvm present). */
    public Duration bootTime() {
        return bootTime;
    }

    /** The console log (in the temporary directory while running; copied to the output directory on close). */
    public Path outputConsoleLog() {
        return cfg.outputDir().resolve(CONSOLE_LOG_NAME);
    }

    /** Stops the guest and QEMU, keeps the console log in the output directory, removes the temporary directory. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        if (qemu != null && qemu.isAlive()) {
            try {
                send("quit");
                qemu.waitFor(2, TimeUnit.SECONDS);
            } catch (IOException | SandboxException ignored) {
                // it is killed below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stopEverything();
        console.close();
        if (!interactive) {
            try {
                Files.copy(console.file(), outputConsoleLog(), StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException ignored) {
                // the output directory went away; nothing to keep it in
            }
        }
        deleteTempDir();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException ignored) {
            // the JVM is shutting down; the hook runs and finds nothing left to do
        }
    }

    // ---------------------------------------------------------------- boot

    private static Sandbox start(SandboxConfig cfg, boolean interactive, String interactiveJob) throws SandboxException {
        Path qemuBinary = Qemu.find().orElseThrow(() -> new SandboxException(Step.HOST_SETUP, Qemu.unavailabilityCause().orElseThrow()));
        List<Mount> shares = checkShares(cfg);
        SandboxAssets.BootFiles boot = SandboxAssets.prepare(cfg);
        Path temp;
        try {
            // The pid in the name tells whose a leftover directory is (tests count only their own).
            temp = Files.createTempDirectory("jkvm-sandbox-" + ProcessHandle.current().pid() + "-");
        } catch (IOException e) {
            throw new SandboxException(Step.HOST_SETUP, "cannot create a temporary directory: " + e.getMessage(), e);
        }
        Sandbox sandbox;
        try {
            sandbox = new Sandbox(cfg, interactive, temp);
        } catch (IOException e) {
            try {
                SandboxAssets.deleteTree(temp);
            } catch (IOException ignored) {
                // best effort
            }
            throw new SandboxException(Step.HOST_SETUP, "cannot prepare " + temp + ": " + e.getMessage(), e);
        }
        try {
            sandbox.launch(qemuBinary, boot, shares, interactiveJob);
            return sandbox;
        } catch (SandboxException | RuntimeException e) {
            sandbox.close();
            throw e;
        }
    }

    /** A directory shared at its own path inside the guest. */
    record Mount(Path path, boolean readOnly) {}

    /**
     * The output directory and shares (read-write), created if needed, and the caller's checkout
     * (read-only) where the guest's /tmp would hide it ({@link VisibleCheckout}); real paths, parents
     * before children.
     */
    private static List<Mount> checkShares(SandboxConfig cfg) throws SandboxException {
        List<Path> all = new ArrayList<>();
        try {
            Files.createDirectories(cfg.outputDir());
        } catch (IOException e) {
            throw new SandboxException(Step.HOST_SETUP, "cannot create the output directory " + cfg.outputDir() + ": " + e.getMessage(), e);
        }
        all.add(cfg.outputDir());
        all.addAll(cfg.shares());
        List<Path> real = new ArrayList<>();
        for (Path p : all) {
            if (!Files.isDirectory(p)) throw new SandboxException(Step.HOST_SETUP, "--share " + p + ": no such directory");
            Path r;
            try {
                r = p.toRealPath();
            } catch (IOException e) {
                throw new SandboxException(Step.HOST_SETUP, "--share " + p + ": " + e.getMessage(), e);
            }
            if (r.getParent() == null) throw new SandboxException(Step.HOST_SETUP, "the root directory cannot be shared read-write");
            if (r.toString().contains("\n")) throw new SandboxException(Step.HOST_SETUP, "a shared path cannot contain a newline: " + p);
            if (!real.contains(r)) real.add(r);
        }
        List<Mount> mounts = new ArrayList<>();
        for (Path r : real) mounts.add(new Mount(r, false));
        VisibleCheckout.shareFor(cfg.workingDir()).filter(c -> !real.contains(c)).ifPresent(c -> mounts.add(new Mount(c, true)));
        mounts.sort(Comparator.comparingInt(m -> m.path().getNameCount()));
        return mounts;
    }

    private void launch(Path qemuBinary, SandboxAssets.BootFiles boot, List<Mount> shares, String interactiveJob) throws SandboxException {
        try {
            Files.writeString(runDir.resolve("config"), GuestJob.config(interactive, shares.stream().map(Mount::path).toList()));
            if (interactiveJob != null) Files.writeString(runDir.resolve("job-0.sh"), interactiveJob);
        } catch (IOException e) {
            throw new SandboxException(Step.HOST_SETUP, "cannot write the sandbox's run files: " + e.getMessage(), e);
        }
        List<Qemu.Share> exports = new ArrayList<>();
        exports.add(new Qemu.Share(Qemu.HOST_ROOT_TAG, Path.of("/"), true));
        exports.add(new Qemu.Share(Qemu.RUN_TAG, runDir, true));
        for (int i = 0; i < shares.size(); i++) {
            exports.add(new Qemu.Share(Qemu.SHARE_TAG_PREFIX + i, shares.get(i).path(), shares.get(i).readOnly()));
        }

        Optional<Path> consoleSocket = interactive ? Optional.empty() : Optional.of(tempDir.resolve("console.sock"));
        Path ctlSocket = tempDir.resolve("ctl.sock");
        Path outSocket = tempDir.resolve("stdout.sock");
        Path errSocket = tempDir.resolve("stderr.sock");
        try {
            if (consoleSocket.isPresent()) listen(consoleSocket.get(), "console", this::pumpConsole);
            listen(ctlSocket, "ctl", this::readControl);
            listen(outSocket, "stdout", stdout::pump);
            listen(errSocket, "stderr", stderr::pump);
        } catch (IOException e) {
            throw new SandboxException(Step.HOST_SETUP, "cannot listen on a Unix socket in " + tempDir + ": " + e.getMessage(), e);
        }
        List<String> argv = Qemu.commandLine(new Qemu.Launch(qemuBinary, boot.kernel(), boot.initramfs(), cfg.cpus(), cfg.memoryMiB(),
                interactive ? Qemu.KERNEL_CMDLINE_INTERACTIVE : Qemu.KERNEL_CMDLINE, exports, consoleSocket, ctlSocket, outSocket, errSocket));
        try {
            Files.writeString(tempDir.resolve("qemu.cmdline"), String.join(" ", argv) + "\n");
        } catch (IOException ignored) {
            // diagnostics only
        }

        cfg.progress().accept("jkvm sandbox: booting kernel " + boot.kernelRelease() + " under QEMU TCG ("
                + cfg.cpus() + " CPUs, " + cfg.memoryMiB() + " MiB)…");
        long started = System.nanoTime();
        try {
            ProcessBuilder pb = new ProcessBuilder(argv).directory(tempDir.toFile());
            if (interactive) {
                pb.redirectInput(ProcessBuilder.Redirect.INHERIT).redirectOutput(ProcessBuilder.Redirect.INHERIT);
            } else {
                pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            }
            qemu = pb.start();
        } catch (IOException e) {
            throw new SandboxException(Step.BOOT, "could not start " + qemuBinary + ": " + e.getMessage(), e);
        }
        daemon("qemu-stderr", this::pumpQemuStderr);
        qemu.onExit().thenAccept(p -> events.add(new GuestEvent.QemuGone(p.exitValue())));

        long deadline = started + cfg.bootTimeout().toNanos();
        while (true) {
            GuestEvent e = next(deadline);
            switch (e) {
                case null -> throw failure(Step.BOOT, "the sandbox did not become ready within " + cfg.bootTimeout().toSeconds()
                        + " s (QEMU TCG is slow on a loaded machine; the full console log is kept as " + outputConsoleLog() + ")");
                case GuestEvent.Ready r -> {
                    bootTime = Duration.ofNanos(System.nanoTime() - started);
                    return;
                }
                case GuestEvent.Failed f -> throw failure(Step.BOOT, "the sandbox could not start: " + f.message());
                case GuestEvent.QemuGone g -> throw qemuGone(g, Step.BOOT, "before it was ready");
                case GuestEvent.Exited x -> throw failure(Step.BOOT, "the guest sent an exit before it was ready");
            }
        }
    }

    // ---------------------------------------------------------------- protocol

    private GuestEvent.Exited awaitExit(int job, Optional<Duration> timeout) throws SandboxException {
        long deadline = timeout.map(t -> System.nanoTime() + t.toNanos()).orElse(Long.MAX_VALUE);
        while (true) {
            GuestEvent e = next(deadline);
            switch (e) {
                case null -> throw failure(Step.COMMAND_TIMEOUT, "the command did not finish within "
                        + timeout.map(Duration::toString).orElse("?").replace("PT", "").toLowerCase(java.util.Locale.ROOT)
                        + "; the sandbox was killed (full console log: " + outputConsoleLog() + ")");
                case GuestEvent.Exited x when x.job() == job -> {
                    return x;
                }
                case GuestEvent.Exited x -> { /* a stale job id cannot happen; ignore it */ }
                case GuestEvent.Failed f -> throw failure(Step.RUN, "the sandbox failed: " + f.message());
                case GuestEvent.QemuGone g -> throw qemuGone(g, Step.RUN, "while the command ran");
                case GuestEvent.Ready r -> { /* only once, at boot */ }
            }
        }
    }

    /** The next event, or null at the deadline. An interrupt kills the sandbox. */
    private GuestEvent next(long deadlineNanos) throws SandboxException {
        try {
            if (deadlineNanos == Long.MAX_VALUE) return events.take();
            long left = deadlineNanos - System.nanoTime();
            return left <= 0 ? events.poll() : events.poll(left, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            throw interrupted(e);
        }
    }

    /** Stops everything first (with the interrupt flag clear, so the waits work), then restores the flag. */
    private SandboxException interrupted(InterruptedException e) {
        stopEverything();
        Thread.currentThread().interrupt();
        return new SandboxException(Step.INTERRUPTED, "interrupted; the sandbox was stopped", console.tail(), e);
    }

    private void send(String line) throws IOException, SandboxException {
        SocketChannel channel;
        try {
            channel = ctl.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new SandboxException(Step.RUN, "the sandbox's control channel is not connected");
        }
        ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        synchronized (channel) {
            while (b.hasRemaining()) channel.write(b);
        }
    }

    /** QEMU exited: name the init script's or QEMU's own error when there is one. */
    private SandboxException qemuGone(GuestEvent.QemuGone g, Step step, String when) {
        settle();
        String reason = drainFailure()
                .or(console::initError)
                .orElse(g.exitCode() == 0 ? "the guest powered off" : "QEMU exited with status " + g.exitCode());
        return failure(step, "the sandbox stopped " + when + ": " + reason);
    }

    private Optional<String> drainFailure() {
        for (GuestEvent e; (e = events.poll()) != null; ) {
            if (e instanceof GuestEvent.Failed f) return Optional.of(f.message());
        }
        return Optional.empty();
    }

    /** Kills QEMU and builds the exception with the console's tail. */
    private SandboxException failure(Step step, String message) {
        stopEverything();
        return new SandboxException(step, message, console.tail(), null);
    }

    // ---------------------------------------------------------------- channels

    private interface Connection {
        void serve(SocketChannel channel);
    }

    private void listen(Path socket, String name, Connection connection) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        servers.add(server);
        daemon(name, () -> {
            try {
                SocketChannel channel = server.accept();
                connection.serve(channel);
            } catch (IOException e) {
                // closed before QEMU connected: the sandbox is going away
            }
        });
    }

    private void pumpConsole(SocketChannel channel) {
        ByteBuffer buf = ByteBuffer.allocate(8192);
        try (channel) {
            while (channel.read(buf.clear()) >= 0) console.console(buf.array(), 0, buf.position());
        } catch (IOException e) {
            // closed
        }
    }

    private void readControl(SocketChannel channel) {
        ctl.complete(channel);
        try (BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                GuestEvent e = parse(line);
                if (e != null) events.add(e);
            }
        } catch (IOException e) {
            // closed
        }
    }

    /** One control line from the init script; unknown lines are ignored. */
    private static GuestEvent parse(String line) {
        String[] f = line.strip().split(" ", 2);
        try {
            return switch (f[0]) {
                case "ready" -> new GuestEvent.Ready(f.length > 1 ? Double.parseDouble(f[1].strip()) : 0);
                case "error" -> new GuestEvent.Failed(f.length > 1 ? f[1].strip() : "unknown error");
                case "exit" -> {
                    String[] n = f[1].strip().split("\\s+");
                    yield new GuestEvent.Exited(Integer.parseInt(n[0]), Integer.parseInt(n[1]), Long.parseLong(n[2]), Long.parseLong(n[3]));
                }
                default -> null;
            };
        } catch (RuntimeException e) {
            return new GuestEvent.Failed("unreadable message from the sandbox's init: " + line);
        }
    }

    private void pumpQemuStderr() {
        try (BufferedReader in = qemu.errorReader(StandardCharsets.UTF_8)) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!Qemu.isNoise(line)) console.qemu(line);
            }
        } catch (IOException e) {
            // QEMU gone
        }
    }

    private void daemon(String name, Runnable body) {
        threads.add(Thread.ofPlatform().daemon().name("jkvm-sandbox-" + name).start(body));
    }

    // ---------------------------------------------------------------- teardown

    /** Gives the reader threads a moment to take in what QEMU wrote before it exited. */
    private void settle() {
        for (Thread t : threads) {
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Kills QEMU (if alive), waits for it, closes the sockets and lets the reader threads finish. */
    private synchronized void stopEverything() {
        dead = true;
        if (qemu != null) {
            if (qemu.isAlive()) qemu.destroyForcibly();
            awaitExit(qemu, 10);
        }
        for (ServerSocketChannel s : servers) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        if (!Thread.currentThread().isInterrupted()) settle();
    }

    /** Waits for a killed process even if this thread is interrupted meanwhile (the flag is kept). */
    private static void awaitExit(Process p, int seconds) {
        boolean interrupted = Thread.interrupted();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        try {
            while (p.isAlive() && System.nanoTime() < deadline) {
                try {
                    p.waitFor(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** The shutdown hook: the JVM is exiting (^C, SIGTERM, System.exit) while the sandbox is up. */
    private void emergencyStop() {
        if (qemu != null && qemu.isAlive()) {
            qemu.destroyForcibly();
            awaitExit(qemu, 5);
        }
        deleteTempDir();
    }

    private void deleteTempDir() {
        try {
            SandboxAssets.deleteTree(tempDir);
        } catch (IOException ignored) {
            // a leftover temp directory is harmless, but should not happen
        }
    }
}
