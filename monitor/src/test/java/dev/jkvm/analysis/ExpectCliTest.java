package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;

/** `jkvm analyze --expect/--junit` and the usage errors of --expect and `jkvm regress`, in process, on a recording of a known schedule (no KVM). */
class ExpectCliTest {
    record Result(int code, String out, String err) {}

    static Path recording;

    static Result jkvm(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void record(@TempDir Path dir) throws Exception {
        SyntheticSchedule s = new SyntheticSchedule().vm("vm0", 0).vm("vm1", 0);
        for (int i = 0; i < 20; i++) s.run("vm0", 4_000_000).run("vm1", 4_000_000);
        recording = s.write(dir.resolve("fair.jfr"), 1);
    }

    @Test
    void expectationsThatHoldExitZeroAndOneThatFailsExitsFive(@TempDir Path dir) throws Exception {
        Result ok = jkvm("analyze", recording.toString(), "--expect", "share(vm0) within 1/N ± 5%", "--expect", "lost == 0");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().contains("PASS  share(vm0) within 1/N ± 5%  (expected in [45.00 %, 55.00 %] (50.00 % ± 5.00 %), measured 49."), ok.out());
        assertTrue(ok.out().contains("jkvm: 2 expectations: 2 passed, 0 failed"), ok.out());

        Path junit = dir.resolve("sub/junit.xml");
        Result bad = jkvm("analyze", recording.toString(), "--expect", "slice.p99 < 1ms", "--expect", "fairness >= 0.95", "--junit", junit.toString());
        assertEquals(5, bad.code(), bad.out() + bad.err());
        assertTrue(bad.out().contains("FAIL  slice.p99 < 1ms  (expected < 1.000 ms, measured 4.000 ms)"), bad.out());
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(junit.toFile());
        Element suite = (Element) doc.getElementsByTagName("testsuite").item(0);
        assertEquals("fair", suite.getAttribute("name"));
        assertEquals("2", suite.getAttribute("tests"));
        assertEquals("1", suite.getAttribute("failures"));
        Element failure = (Element) doc.getElementsByTagName("failure").item(0);
        assertEquals("expected slice.p99 < 1.000 ms, measured 4.000 ms", failure.getAttribute("message"));

        // JSON stays parseable on standard output; the verdicts go to standard error.
        Result json = jkvm("analyze", recording.toString(), "--format", "json", "--expect", "lost == 0");
        assertEquals(0, json.code());
        assertEquals(1, SummaryJson.parse(json.out()).size());
        assertTrue(json.err().contains("PASS  lost == 0"), json.err());
    }

    @Test
    void aWrongExpressionIsExitTwoWithACaretBeforeAnythingIsRead(@TempDir Path dir) {
        Result r = jkvm("analyze", dir.resolve("does-not-exist.jfr").toString(), "--expect", "slice.p99 < 12 mss");
        assertEquals(2, r.code());
        String[] lines = r.err().split("\n");
        assertEquals("jkvm: --expect: unknown unit 'mss' (use ns, us, µs, ms, s or %) (column 16)", lines[0]);
        assertEquals("  slice.p99 < 12 mss", lines[1]);
        assertEquals("                 ^", lines[2]);
        assertEquals(3, lines.length, r.err());
        Result run = jkvm("run", "--guest", "spin", "--expect", "fairness >== 1");
        assertEquals(2, run.code(), run.err());
        assertEquals(("jkvm: --expect: '=' alone is not a comparison (use ==) (column 12)\n  fairness >== 1\n             ^\n"), run.err());
        Result junitAlone = jkvm("analyze", recording.toString(), "--junit", dir.resolve("j.xml").toString());
        assertEquals(2, junitAlone.code());
        assertTrue(junitAlone.err().contains("--junit writes the verdicts of --expect"), junitAlone.err());
    }

    @Test
    void expectationsInAnArgumentFileKeepTheirSpacesAndSymbols(@TempDir Path dir) throws Exception {
        Path args = dir.resolve("fair.args");
        Files.writeString(args, """
                # one regression test in one file
                --expect "share(vm0) within 1/N ± 5%"
                --expect 'runnable.max(vm1) < 50ms'
                --expect "exits(vm0, IO) == 0"
                """);
        Result r = jkvm("analyze", recording.toString(), "@" + args);
        assertEquals(5, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("PASS  share(vm0) within 1/N ± 5%"), r.out());
        assertTrue(r.out().contains("PASS  runnable.max(vm1) < 50ms"), r.out());
        assertTrue(r.out().contains("FAIL  exits(vm0, IO) == 0  (expected == 0, measured not recorded: no exit events or exit statistics of vm0"), r.out());
    }

    @Test
    void regressRefusesBadSuitesBeforeRunningAnything(@TempDir Path dir) throws Exception {
        Result none = jkvm("regress", dir.resolve("nope").toString());
        assertEquals(2, none.code());
        assertTrue(none.err().contains("no such directory of experiments"), none.err());
        Result empty = jkvm("regress", dir.toString());
        assertEquals(2, empty.code());
        assertTrue(empty.err().contains("has no *.args experiment files"), empty.err());
        Path suite = Files.createDirectories(dir.resolve("suite"));
        Files.writeString(suite.resolve("a.args"), "--guest spin\n--duration 1s\n--expect \"fairness >= 0.95\"\n");
        Files.writeString(suite.resolve("b.args"), "--guest spin\n--duration 1s\n--expect \"fairnes >= 0.95\"\n");
        Path out = dir.resolve("out");
        Result badExpect = jkvm("regress", suite.toString(), "--out", out.toString());
        assertEquals(2, badExpect.code());
        assertTrue(badExpect.err().startsWith("jkvm: " + suite.resolve("b.args") + ": --expect: unknown metric 'fairnes' (did you mean fairness?) (column 1)"),
                badExpect.err());
        assertFalse(Files.exists(out.resolve("a/recording.jfr")), "nothing ran");
        Files.writeString(suite.resolve("b.args"), "--guest spin\n--vms 0\n");
        Result badOption = jkvm("regress", suite.toString(), "--out", out.toString());
        assertEquals(2, badOption.code());
        assertTrue(badOption.err().contains("b.args: --vms must be at least 1"), badOption.err());
        Files.createDirectories(out);
        Result same = jkvm("regress", suite.toString(), "--out", out.toString(), "--baseline", out.toString());
        assertEquals(2, same.code());
        assertTrue(same.err().contains("--baseline and --out are the same directory"), same.err());
    }
}
