package dev.jkvm.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Timeouts, interrupts and process exit: the sandbox leaves no QEMU and no temporary directory behind. */
@Tag("sandbox")
class SandboxLifecycleTest {
    private Set<Path> tempDirsBefore;

    @BeforeEach
    void before() throws Exception {
        SandboxTests.requireSandbox();
        tempDirsBefore = SandboxTests.sandboxTempDirs();
    }

    private void assertNothingLeft() throws Exception {
        assertEquals(List.of(), SandboxTests.qemuChildren(), "no QEMU left running");
        Set<Path> now = new HashSet<>(SandboxTests.sandboxTempDirs());
        now.removeAll(tempDirsBefore);
        assertEquals(Set.of(), now, "no sandbox temporary directory left");
    }

    @Test
    void hungCommandIsKilledAtItsTimeoutWithTheConsoleTail() throws Exception {
        SandboxConfig cfg = SandboxTests.config("timeout").withTimeout(Duration.ofSeconds(3));
        long t0 = System.nanoTime();
        SandboxException e = assertThrows(SandboxException.class, () -> Sandbox.run(cfg, List.of("sleep", "600"),
                SandboxTests.env(), OutputStream.nullOutputStream(), OutputStream.nullOutputStream()));
        assertTrue((System.nanoTime() - t0) / 1e9 < 120, "killed promptly");
        assertEquals(SandboxException.Step.COMMAND_TIMEOUT, e.step());
        assertTrue(e.getMessage().contains("did not finish within 3s"), e.getMessage());
        assertTrue(e.getMessage().contains("last lines of the sandbox console"), e.getMessage());
        assertFalse(e.consoleTail().isBlank(), "the console tail is in the exception");
        Path log = cfg.outputDir().resolve(Sandbox.CONSOLE_LOG_NAME);
        assertTrue(Files.size(log) > 0, "full console log kept at " + log);
        assertTrue(Files.readString(log).contains("Linux version"), "the log has the whole boot");
        assertNothingLeft();
    }

    @Test
    void interruptedCallerStopsTheSandbox() throws Exception {
        SandboxConfig cfg = SandboxTests.config("interrupt");
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread caller = Thread.ofPlatform().start(() -> {
            try {
                Sandbox.run(cfg, List.of("sh", "-c", "echo started; sleep 600"), SandboxTests.env(), new ByteArrayOutputStream() {
                    @Override
                    public synchronized void write(byte[] b, int off, int len) {
                        super.write(b, off, len);
                        synchronized (SandboxLifecycleTest.this) {
                            SandboxLifecycleTest.this.notifyAll();
                        }
                    }
                }, OutputStream.nullOutputStream());
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        // Interrupt once the command runs (its first output arrived), or after the boot at worst.
        synchronized (this) {
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (SandboxTests.qemuChildren().isEmpty() && System.nanoTime() < deadline) wait(100);
            wait(Duration.ofSeconds(60).toMillis());
        }
        assertFalse(SandboxTests.qemuChildren().isEmpty(), "QEMU was running");
        caller.interrupt();
        caller.join(30_000);
        assertFalse(caller.isAlive());
        SandboxException e = (SandboxException) thrown.get();
        assertEquals(SandboxException.Step.INTERRUPTED, e.step(), String.valueOf(e));
        assertNothingLeft();
    }

    @Test
    void jvmExitKillsQemuThroughTheShutdownHook() throws Exception {
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(javaBin.toString(), "-cp", System.getProperty("java.class.path"),
                SandboxHookProbe.class.getName(), SandboxTests.config("hook").outputDir().toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream())).readLine();
        // The probe prints "ready" once its sandbox has booted, then sleeps.
        assertEquals("ready", String.valueOf(line).strip());
        List<ProcessHandle> qemu = child.descendants().filter(p -> p.info().command().map(c -> c.endsWith(Qemu.BINARY)).orElse(false)).toList();
        assertEquals(1, qemu.size(), "the child runs one QEMU");
        child.destroy(); // SIGTERM: the JVM runs its shutdown hooks
        child.waitFor();
        qemu.getFirst().onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertFalse(qemu.getFirst().isAlive(), "QEMU killed by the shutdown hook");
        Set<Path> now = new HashSet<>(SandboxTests.sandboxTempDirs());
        now.removeAll(tempDirsBefore);
        assertEquals(Set.of(), now, "the child's temporary directory was removed");
    }
}
