package dev.jkvm.sandbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Real QEMU, one boot for the whole class (TCG boots take seconds), several commands in it. */
@Tag("sandbox")
class SandboxTest {
    private static SandboxConfig cfg;
    private static Sandbox sandbox;

    /** A command's result. */
    record Result(int status, byte[] out, byte[] err) {
        String outText() {
            return new String(out, StandardCharsets.UTF_8);
        }

        String errText() {
            return new String(err, StandardCharsets.UTF_8);
        }
    }

    @BeforeAll
    static void boot() throws Exception {
        SandboxTests.requireSandbox();
        cfg = SandboxTests.config("SandboxTest");
        long t0 = System.nanoTime();
        sandbox = Sandbox.boot(cfg);
        System.err.printf("[SandboxTest] boot (QEMU start to ready): %.2f s; boot() including cache check: %.2f s%n",
                sandbox.bootTime().toMillis() / 1000.0, (System.nanoTime() - t0) / 1e9);
    }

    @AfterAll
    static void shutDown() {
        if (sandbox != null) sandbox.close();
    }

    private static Result sh(String script) throws Exception {
        return exec(List.of("sh", "-c", script));
    }

    private static Result exec(List<String> command) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = sandbox.exec(command, SandboxTests.env(), out, err, java.util.Optional.of(Duration.ofMinutes(5)));
        return new Result(status, out.toByteArray(), err.toByteArray());
    }

    @Test
    void exitStatusStdoutAndStderrComeBackExactly() throws Exception {
        Result r = sh("printf 'a\\nb'; printf err >&2; exit 42");
        assertEquals(42, r.status());
        assertEquals("a\nb", r.outText());
        assertEquals("err", r.errText());
    }

    @Test
    void bytesPassUnchangedNoCrLfNoKernelMessages() throws Exception {
        // CR, LF, CRLF, NUL and every other byte value, plus a large random block through both streams.
        Path out = cfg.outputDir();
        Result r = sh("printf 'x\\r\\ny\\n\\r\\000z'; head -c 300000 /dev/urandom | tee " + out + "/random.bin >&2");
        assertEquals(0, r.status(), r.errText());
        assertArrayEquals(new byte[] {'x', '\r', '\n', 'y', '\n', '\r', 0, 'z'}, r.out());
        assertArrayEquals(Files.readAllBytes(out.resolve("random.bin")), r.err(), "stderr equals the file the guest wrote");
        assertEquals(300000, r.err().length);
    }

    @Test
    void fileWrittenToTheOutputDirectoryArrives() throws Exception {
        Path file = cfg.outputDir().resolve("report.txt");
        Result r = sh("echo recorded > " + file + " && mkdir -p " + cfg.outputDir() + "/sub && echo deep > " + cfg.outputDir() + "/sub/f");
        assertEquals(0, r.status(), r.errText());
        assertEquals("recorded\n", Files.readString(file));
        assertEquals("deep\n", Files.readString(cfg.outputDir().resolve("sub/f")));
    }

    @Test
    void kvmIsThereWithSvmTracefsAndKprobes() throws Exception {
        Result r = sh("test -c /dev/kvm && grep -c svm /proc/cpuinfo && nproc"
                + " && test -e /sys/kernel/tracing/events/kvm/kvm_exit/enable"
                + " && echo 'p:jkvm_probe kvm_arch_vcpu_load' >> /sys/kernel/tracing/kprobe_events"
                + " && test -d /sys/kernel/tracing/events/kprobes/jkvm_probe"
                + " && echo '-:jkvm_probe' >> /sys/kernel/tracing/kprobe_events"
                + " && test -d /dev/shm && touch /dev/shm/x /tmp/y && echo ok");
        assertEquals(0, r.status(), r.errText());
        List<String> lines = r.outText().lines().toList();
        assertTrue(Integer.parseInt(lines.get(0)) > 0, "svm in /proc/cpuinfo: " + lines);
        assertTrue(Integer.parseInt(lines.get(1)) >= 2, "at least 2 CPUs: " + lines);
        assertEquals("ok", lines.get(2));
    }

    @Test
    void hostFilesAreVisibleReadOnlyAndTmpIsPrivate() throws Exception {
        Path marker = Files.createTempFile("jkvm-host-tmp", ".txt"); // on the host's /tmp: hidden inside
        try {
            Path pom = Path.of("pom.xml").toAbsolutePath();
            Result r = sh("test -f " + pom + " && echo seen; test -e " + marker + " || echo hidden; touch " + pom + " 2>/dev/null || echo ro");
            assertEquals("seen\nhidden\nro\n", r.outText(), r.errText());
        } finally {
            Files.delete(marker);
        }
    }

    @Test
    void runsInTheCallersDirectoryWithItsEnvironment() throws Exception {
        Result r = exec(List.of("sh", "-c", "pwd; id -u; echo $JAVA_HOME"));
        assertEquals(cfg.workingDir() + "\n0\n" + System.getProperty("java.home") + "\n", r.outText(), r.errText());
    }

    /**
     * A checkout under /tmp (a fresh clone, say) is visible inside, read-only, from any of its
     * directories; the rest of /tmp stays private. One extra boot, in its own sandbox.
     */
    @Test
    void aCheckoutUnderTmpIsVisibleTheRestOfTmpIsNot() throws Exception {
        Path checkout = Files.createTempDirectory("jkvm-checkout-");
        Path other = Files.createTempFile("jkvm-host-tmp", ".txt");
        try {
            Files.createDirectories(checkout.resolve(".git"));
            Files.writeString(checkout.resolve("README"), "from the checkout\n");
            Path module = Files.createDirectories(checkout.resolve("module"));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = Sandbox.run(SandboxTests.config("checkout-under-tmp").withWorkingDir(module),
                    List.of("sh", "-c", "pwd; cat ../README; test -e " + other + " || echo hidden; touch ../x 2>/dev/null || echo ro"),
                    SandboxTests.env(), out, err);
            assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
            assertEquals(module.toRealPath() + "\nfrom the checkout\nhidden\nro\n", out.toString(StandardCharsets.UTF_8),
                    err.toString(StandardCharsets.UTF_8));
        } finally {
            Files.delete(other);
            SandboxAssets.deleteTree(checkout);
        }
    }

    @Test
    void jdk25RunsInside() throws Exception {
        Result r = exec(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version"));
        assertEquals(0, r.status(), r.errText());
        assertTrue(r.errText().contains("version \"25"), r.errText());
    }

    @Test
    void missingCommandIs127() throws Exception {
        Result r = exec(List.of("/no/such/command"));
        assertEquals(127, r.status());
        assertTrue(r.errText().contains("/no/such/command"), r.errText());
    }
}
