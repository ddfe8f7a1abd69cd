package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** `jkvm bench` builds the C reference and reports both sides; numbers are reported, never asserted as times. */
@Tag("kvm")
class BenchCommandKvmTest {
    @Test
    void benchRunsJavaAndTheCReferenceSideBySide() {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), "bench", "--no-sandbox", "--exits", "2000", "--rounds", "2");
        assertEquals(0, code, out + "\n" + err);
        Matcher m = Pattern.compile("median Java (\\d+) ns/exit, C (\\d+) ns/exit").matcher(out.toString());
        assertTrue(m.find(), out.toString());
        assertTrue(Long.parseLong(m.group(1)) > 0 && Long.parseLong(m.group(2)) > 0, out.toString());
        assertEquals(2, out.toString().lines().filter(l -> l.startsWith("bench: round")).count(), out.toString());
        System.out.print(out);
    }

    @Test
    void aMissingCompilerIsAUsageError() {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), "bench", "--no-sandbox", "--exits", "10", "--rounds", "1", "--cc", "no-such-cc");
        assertEquals(2, code);
        assertTrue(err.toString().contains("needs a C compiler"), err.toString());
    }
}
