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

    /** An option of a suite that does not run was ignored without a word; a count no run could finish was taken. */
    @Test
    void optionsOfSuitesThatDoNotRunAndEndlessCountsAreRefused() {
        String[] pings = run("bench", "--pings", "100");
        assertEquals("2", pings[0], pings[1]);
        assertTrue(pings[1].contains("--pings sets the pings of --record: give --record too"), pings[1]);
        String[] duration = run("bench", "--exits", "1000", "--duration", "1s");
        assertEquals("2", duration[0], duration[1]);
        assertTrue(duration[1].contains("--duration sets how long each --scale run lasts"), duration[1]);
        String[] endless = run("bench", "--exits", "99999999999");
        assertEquals("2", endless[0], endless[1]);
        assertTrue(endless[1].contains("--exits 99999999999 is more than 1000000000"), endless[1]);
    }

    @Test
    void aBadDurationIsAUsageError() {
        String[] r = run("bench", "--scale", "2", "--duration", "soon");
        assertEquals("2", r[0], r[1]);
        assertTrue(r[1].contains("soon"), r[1]);
    }
}
