package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** `jkvm run` and `jkvm check` end to end, in process, on real KVM. */
@Tag("kvm")
class RunCommandKvmTest {
    record Result(int code, String out, String err) {}

    static Result jkvm(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void runHelloStreamsThePrefixedLineAndExitsZero() {
        Result r = jkvm("run", "--no-sandbox", "--guest", "hello");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("vm0| Hello from jkvm (real mode)\n"), r.out());
        assertTrue(r.out().contains("vm0 halted"), r.out());
        assertTrue(r.out().contains("HLT 1"), r.out());
    }

    /** The launcher's archive counts as trained only after a run that ran guests (ArchiveTraining). */
    @Test
    void aRunThatRanGuestsMarksTheArchiveTrainedAndAUsageErrorDoesNot(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        java.nio.file.Path marker = dir.resolve("jkvm.jsa.trained");
        System.setProperty(ArchiveTraining.PROPERTY, marker.toString());
        try {
            Result bad = jkvm("run", "--no-sandbox", "--guest", "no-such-guest");
            assertEquals(ExitCodes.USAGE, bad.code(), bad.err());
            assertTrue(!java.nio.file.Files.exists(marker), "a usage error marked the archive trained");
            Result r = jkvm("run", "--no-sandbox", "--guest", "hello");
            assertEquals(0, r.code(), r.err());
            assertTrue(java.nio.file.Files.exists(marker), "a run with a guest did not mark the archive trained");
        } finally {
            System.clearProperty(ArchiveTraining.PROPERTY);
        }
    }

    @Test
    void aFaultingGuestGivesExitCode4() {
        Result r = jkvm("run", "--no-sandbox", "--guest", "triple-fault", "--guest", "hello64");
        assertEquals(4, r.code());
        assertTrue(r.out().contains("vm0 faulted: SHUTDOWN"), r.out());
        assertTrue(r.out().contains("vm1| Hello from jkvm (long mode)"), r.out());
        assertTrue(r.out().contains("vm1 halted"), r.out());
    }

    @Test
    void checkSaysUsable() {
        Result r = jkvm("check");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("API version: 12"), r.out());
    }
}
