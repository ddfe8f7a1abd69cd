package dev.jkvm.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code -Djkvm.kvmTests=skip} is a failure in CI and a warning elsewhere: the decision the runner
 * makes before it looks for KVM at all (so this needs no KVM).
 */
class KvmSuiteSkipTest {
    private static final KvmSuite.Arguments SKIP =
            new KvmSuite.Arguments(Path.of("target/test-classes"), Path.of("target/kvm-reports-skip-test"), Duration.ofMinutes(1), "skip");

    @Test
    void skipFailsInCi() {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        int status = new KvmSuite(new PrintStream(text, true, StandardCharsets.UTF_8), true).run(SKIP);
        assertEquals(1, status, text.toString(StandardCharsets.UTF_8));
        assertTrue(text.toString(StandardCharsets.UTF_8).contains("refused: CI=true"), text.toString(StandardCharsets.UTF_8));
    }

    @Test
    void skipWarnsOutsideCi() {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        int status = new KvmSuite(new PrintStream(text, true, StandardCharsets.UTF_8), false).run(SKIP);
        assertEquals(0, status);
        assertTrue(text.toString(StandardCharsets.UTF_8).contains("skipped (-Djkvm.kvmTests=skip)"), text.toString(StandardCharsets.UTF_8));
    }
}
