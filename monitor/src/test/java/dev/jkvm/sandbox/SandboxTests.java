package dev.jkvm.sandbox;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/** Shared set-up of the sandbox tests: availability (skip outside CI, fail in CI), configs, leak checks. */
final class SandboxTests {
    private SandboxTests() {}

    /** Skips the calling test when QEMU is missing, except under CI=true, where that is a failure. */
    static void requireSandbox() {
        Sandbox.unavailabilityCause().ifPresent(cause -> {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("CI=true but the sandbox cannot run here: " + cause + " (CI must provide it; sandbox tests never skip in CI)");
            }
            Assumptions.abort("sandbox unavailable: " + cause);
        });
    }

    /** A config whose output directory is under target/ (so it is not hidden by the guest's /tmp). */
    static SandboxConfig config(String name) throws IOException {
        Path out = Path.of("target", "sandbox-tests", name).toAbsolutePath();
        SandboxAssets.deleteTree(out);
        Files.createDirectories(out);
        return SandboxConfig.defaults()
                .withOutputDir(out)
                .withProgress(line -> System.err.println("[" + name + "] " + line));
    }

    /** The environment the tests give commands: the host's JAVA_HOME, so `java` is the JDK 25 running the tests. */
    static Map<String, String> env() {
        return Map.of("JAVA_HOME", System.getProperty("java.home"));
    }

    /** QEMU processes that are children of this JVM. */
    static List<ProcessHandle> qemuChildren() {
        return ProcessHandle.current().descendants()
                .filter(p -> p.info().command().map(c -> c.endsWith(Qemu.BINARY)).orElse(false))
                .toList();
    }

    /** The sandbox temporary directories that exist now. */
    static Set<Path> sandboxTempDirs() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            // Only this process's: other builds on the machine create and remove theirs concurrently.
            String own = "jkvm-sandbox-" + ProcessHandle.current().pid() + "-";
            return s.filter(p -> p.getFileName().toString().startsWith(own)).collect(Collectors.toSet());
        }
    }
}
