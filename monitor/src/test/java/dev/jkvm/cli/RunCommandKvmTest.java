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
