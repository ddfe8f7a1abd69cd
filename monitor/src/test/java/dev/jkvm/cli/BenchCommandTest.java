package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** `jkvm bench` option mistakes: one line, exit 2, before anything runs (no KVM needed). */
class BenchCommandTest {
    private static String[] run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new String[] {Integer.toString(code), err.toString()};
    }

    @Test
    void badCountsAreUsageErrors() {
        for (String[] args : new String[][] {{"bench", "--scale", "8,0"}, {"bench", "--start", "0"}, {"bench", "--exits", "0"},
            {"bench", "--record", "--pings", "0"}, {"bench", "--rounds", "0"}, {"bench", "--scale", "2", "--duration", "0s"},
            {"bench", "--json", "/dev/null/x.json"}, {"bench", "--json", "/proc/x.json"}, {"bench", "--analyze", "/no/such/recording.jfr"}}) {
            String[] r = run(args);
            assertEquals("2", r[0], String.join(" ", args) + ": " + r[1]);
            assertEquals(1, r[1].strip().lines().count(), String.join(" ", args) + ": " + r[1]);
        }
    }

    @Test
    void aBadDurationIsAUsageError() {
        String[] r = run("bench", "--scale", "2", "--duration", "soon");
        assertEquals("2", r[0], r[1]);
        assertTrue(r[1].contains("soon"), r[1]);
    }
}
