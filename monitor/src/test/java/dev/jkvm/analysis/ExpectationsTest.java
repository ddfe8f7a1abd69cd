package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.analysis.expect.Baseline;
import dev.jkvm.analysis.expect.Dimension;
import dev.jkvm.analysis.expect.Expectation;
import dev.jkvm.analysis.expect.ExpectationSyntaxException;
import dev.jkvm.analysis.expect.JunitXml;
import dev.jkvm.analysis.expect.Verdict;
import dev.jkvm.testing.Property;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The expectation grammar: parsing (good texts, and every kind of mistake at its position), judging
 * real JFR recordings of a known schedule (the expected numbers come from the schedule itself), the
 * JUnit XML read back by the JDK's XML parser, the analysis JSON read back, and baseline rules.
 */
class ExpectationsTest {
    static final long MS = 1_000_000;
    static SyntheticSchedule fair;
    static RunSummary fairRun, unfairRun;

    @BeforeAll
    static void record(@TempDir Path dir) throws Exception {
        fair = new SyntheticSchedule().vm("vm0", 0).vm("vm1", 0);
        for (int i = 0; i < 10; i++) fair.run("vm0", 4 * MS).run("vm1", 4 * MS);
        fair.run("vm1", 12 * MS, false);
        fair.run("vm0", 4 * MS);
        fair.also(() -> SyntheticSchedule.exitStats("vm0", "IO", 100_000, 20_000, 90_000));
        fair.also(() -> SyntheticSchedule.steal("vm1", 5 * MS));
        fair.also(() -> SyntheticSchedule.guestGap("vm0", 3 * MS));
        fairRun = RecordingAnalysis.analyze(fair.write(dir.resolve("fair.jfr"), 2));

        SyntheticSchedule unfair = new SyntheticSchedule().vm("vm0", 0).vm("vm1", 0);
        for (int i = 0; i < 10; i++) unfair.run("vm0", 36 * MS).run("vm1", 4 * MS);
        unfairRun = RecordingAnalysis.analyze(unfair.write(dir.resolve("unfair.jfr"), 1));
    }

    static Verdict judge(String text) {
        return Expectation.parse(text).evaluate(fairRun);
    }

    @Test
    void sharesSlicesWaitsAndCountsAreJudgedOnTheRecording() {
        double share0 = fair.shareOf("vm0");
        Verdict v = judge("share(vm0) within 1/N ± 5%");
        assertTrue(v.passed(), v.line());
        assertEquals(Dimension.FRACTION.format(share0), v.measured());
        assertEquals("in [45.00 %, 55.00 %] (50.00 % ± 5.00 %)", v.expected());
        assertEquals(Math.abs(share0 - 0.5) <= 0.001, judge("share(vm0) within 1/N ± 0.1%").passed());
        // vm0 ran 11 slices of 4 ms, vm1 10 of 4 ms and one of 12 ms.
        assertTrue(judge("split(vm0) == 44/96").passed(), judge("split(vm0) == 44/96").line());
        assertTrue(judge("ratio(vm0, vm1) within 44/52 ± 0.1%").passed());
        assertTrue(judge("slice.max(vm1) == 12ms").passed());
        assertTrue(judge("slice.max == 12 ms").passed(), "run-wide max");
        assertTrue(judge("slice.p50 == 4ms").passed());
        assertTrue(judge("slice.count == 22").passed());
        assertTrue(judge("slice.count(vm0) == 11").passed());
        assertFalse(judge("slice.p99(vm0) > 4ms").passed());
        long maxWait0 = fair.waitsOf("vm0").stream().mapToLong(Long::longValue).max().orElseThrow();
        Verdict w = judge("runnable.max(vm0) == " + maxWait0 + "ns");
        assertTrue(w.passed(), w.line());
        assertTrue(judge("wait.max(vm0) < 50ms").passed());
        assertTrue(judge("switches(vm0) == 11").passed());
        assertTrue(judge("switches == 22").passed());
        assertTrue(judge("voluntary(vm1) == 1").passed());
        assertTrue(judge("preempted(vm1) == 10").passed());
        assertTrue(judge("lost == 0").passed());
        assertTrue(judge("late == 0").passed());
        assertTrue(judge("fairness >= 0.95").passed());
        assertTrue(judge("fairness.weighted >= 95%").passed());
        assertTrue(judge("exits(vm0, IO) == 100000").passed());
        assertTrue(judge("exits(vm0, io) == 1e5").passed(), "reasons match case-insensitively");
        assertTrue(judge("exits(vm0, HLT) == 0").passed(), "exits are recorded for vm0: a reason without any is 0");
        assertTrue(judge("exits == 100000").passed());
        assertTrue(judge("steal(vm1) == 5ms").passed());
        assertTrue(judge("gap.total(vm0) == 3ms").passed());
        assertTrue(judge("gaps(vm0) == 1").passed());
        assertTrue(judge("slice.p99(vm1) within 12ms ± 10%").passed());
        assertFalse(judge("slice.p99(vm1) within 10ms ± 1ms").passed());
        assertTrue(judge("window == " + fair.window() + "ns").passed());
        assertTrue(judge("share(vm0) != 0").passed());
        assertTrue(judge("share(vm0/0) > 0.4").passed(), "a vCPU by name");
    }

    @Test
    void whatIsNotRecordedFailsWithTheReason() {
        Verdict exits = judge("exits(vm1, IO) == 0");
        assertFalse(exits.passed());
        assertTrue(exits.measured().startsWith("not recorded: no exit events or exit statistics of vm1"), exits.measured());
        Verdict steal = judge("steal(vm0) >= 0ns");
        assertFalse(steal.passed());
        assertTrue(steal.measured().contains("no jkvm.StealTime events of vm0"), steal.measured());
        Verdict vm = judge("share(vm9) >= 0");
        assertFalse(vm.passed());
        assertEquals("not recorded: vm9 is not in the recording (it has vm0, vm1)", vm.measured());
        Verdict line = judge("slice.p99 < 1ms");
        assertEquals("FAIL  slice.p99 < 1ms  (expected < 1.000 ms, measured 12.000 ms)", line.line());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "slice.p99 < 12 mss              | 15 | unknown unit 'mss'",
        "slcie.p99 < 12ms                | 0  | did you mean slice.p99?",
        "share(vm0) within 1/N           | 21 | '±'",
        "share(vm0) = 0.5                | 11 | use ==",
        "share(vm0) ! 0.5                | 11 | use !=",
        "slice.p99 < 12                  | 12 | slice.p99 is a time: give the value a unit",
        "share(vm0) > 10ms               | 13 | not a time",
        "share > 0.5                     | 6  | share needs a VM",
        "lost(vm0) == 0                  | 4  | lost takes no arguments",
        "exits(vm0, IO, x) == 1          | 15 | at most 2 arguments",
        "exits(vm0, HTL) == 0            | 11 | unknown exit reason 'HTL': one of UNKNOWN, EXCEPTION, IO",
        "fairness >= 0.95 extra          | 17 | unknown unit 'extra'",
        "fairness >= 0.95 0.5            | 17 | unexpected '0.5' after the expectation",
        "fairness >= (0.5                | 16 | expected ')'",
        "slice.p99 within 10ms ± 2       | 24 | the tolerance of a time is a time",
        "fairness >= 1.                  | 14 | a digit must follow the decimal point",
        "fairness >= #                   | 12 | unexpected character '#'",
        "fairness                        | 8  | expected a comparison",
        "fairness >= vm0                 | 12 | expected a number or N",
        "share(vm0 > 1                   | 10 | expected ')' or ','",
        "share(vm0/x) > 1                | 10 | a vCPU number after '/'",
        "slice.p99 < 1ms * 2ms           | 16 | a time times a time",
        "slice.p99 < 2 / 1ms             | 14 | a number divided by a time",
        "fairness >= 1/0                 | 13 | division by zero",
        "slice.p99 < 4ms / 0.0           | 16 | division by zero",
        "ratio(vm0, vm1) > 3:0           | 20 | other than 0",
        "ratio(vm0, vm1) > 3:            | 20 | a number after ':'",
    })
    void mistakesAreReportedAtTheirPosition(String text, int position, String reason) {
        ExpectationSyntaxException e = assertThrows(ExpectationSyntaxException.class, () -> Expectation.parse(text));
        assertEquals(position, e.position(), e.getMessage());
        assertTrue(e.reason().contains(reason), e.reason());
        assertEquals(text + "\n" + " ".repeat(position) + "^", e.pointer());
    }

    @Test
    void emptyAndOverlongTextsAreMistakesToo() {
        assertEquals(0, assertThrows(ExpectationSyntaxException.class, () -> Expectation.parse("")).position());
        assertEquals(3, assertThrows(ExpectationSyntaxException.class, () -> Expectation.parse("   ")).position());
        String longText = "fairness >= " + "(".repeat(40) + "1" + ")".repeat(40);
        assertTrue(assertThrows(ExpectationSyntaxException.class, () -> Expectation.parse(longText)).reason().contains("nested"));
        assertTrue(assertThrows(ExpectationSyntaxException.class, () -> Expectation.parse("lost == " + "1*".repeat(400) + "1")).reason()
                .contains("longer than"));
    }

    @Test
    void unitsAndArithmetic() {
        assertTrue(judge("slice.max(vm1) == 12000us").passed());
        assertTrue(judge("slice.max(vm1) == 12000µs").passed());
        assertTrue(judge("slice.max(vm1) == 0.012s").passed());
        assertTrue(judge("slice.max(vm1) == 12000000ns").passed());
        assertTrue(judge("slice.max(vm1) == 24ms / 2").passed());
        assertTrue(judge("slice.max(vm1) == 3 * 4ms").passed());
        assertTrue(judge("slice.max(vm1) within 12ms +/- 1ms").passed());
        assertTrue(judge("split(vm0) within (1/N) * (44/48) ± 0.01").passed());
        assertTrue(judge("fairness <= 100%").passed());
        assertTrue(judge("ratio(vm0, vm1) within 44:52 ± 0.1%").passed(), "a ratio written as a:b");
    }

    @Test
    void randomTextsGiveAnExpectationOrATypedMistakeNeverAnythingElse() {
        List<String> pieces = List.of("share", "split", "(", ")", "vm0", "vm1", "/", "0", ",", "IO", "within", "±", "+-", "1", "N", "%",
                "ms", "µs", "s", "<", "<=", "==", "!=", "=", ">", "slice.p99", "wait.max", "fairness", "exits", "lost", " ", "12", ".",
                "5", "e", "*", ":", "1e400", "-", "\u0000", "ratio", "steal", "x");
        RunSummary empty = new RunSummary("empty", 0, 0, List.of(), 1, 1, 0, Dist.EMPTY, List.of(), -1,
                new RunSummary.Health(false, 0, 0, List.of(), 0, 0, 0, false, List.of()), List.of(), RunSummary.Host.NONE, RunSummary.Hygiene.NONE, Dist.EMPTY, Dist.EMPTY);
        int[] parsed = {0};
        Property.forAll(3000, g -> {
            StringBuilder sb = new StringBuilder();
            int n = g.between(0, 14);
            for (int i = 0; i < n; i++) sb.append(g.random().nextInt(6) == 0 ? g.text(3) : g.oneOf(pieces));
            String text = sb.toString();
            Expectation e;
            try {
                e = Expectation.parse(text);
            } catch (ExpectationSyntaxException bad) {
                assertTrue(bad.position() >= 0 && bad.position() <= text.length(), bad.getMessage());
                assertFalse(bad.reason().isBlank());
                assertEquals(2, bad.pointer().split("\n", -1).length);
                return;
            }
            parsed[0]++;
            for (RunSummary r : List.of(fairRun, unfairRun, empty)) {
                Verdict v = e.evaluate(r);
                assertFalse(v.line().isBlank());
            }
        });
        // And texts built to be valid parse.
        Property.forAll(500, g -> {
            String metric = g.oneOf(List.of("share(vm0)", "split(vm1)", "fairness", "lost", "slice.p99", "wait.max(vm1)", "exits(vm0, IO)",
                    "ratio(vm0, vm1)", "switches(vm0)"));
            boolean time = metric.startsWith("slice") || metric.startsWith("wait");
            String value = g.between(0, 1000) + (time ? g.oneOf(List.of("ns", "us", "µs", "ms", "s")) : g.bool() ? "%" : "");
            String text = g.bool() ? metric + " " + g.oneOf(List.of("<", "<=", ">", ">=", "==", "!=")) + " " + value
                    : metric + " within " + value + " ± " + g.between(0, 50) + "%";
            Expectation e = Expectation.parse(text);
            assertEquals(text, e.text());
            e.evaluate(fairRun);
            e.evaluate(empty);
        });
    }

    @Test
    void junitXmlReadsBackWithTheMeasuredValues() throws Exception {
        List<Verdict> verdicts = List.of(judge("slice.p99 < 1ms"), judge("lost == 0"), judge("steal(vm0) > 0ns"));
        JunitXml.Suite odd = new JunitXml.Suite("odd <&> \"name\"", 1.5, List.of(new JunitXml.Case("a\u0001b & c", "x < y", "detail")));
        String xml = JunitXml.render(List.of(JunitXml.Suite.of("fair", 2.25, verdicts), odd));
        Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        Element root = d.getDocumentElement();
        assertEquals("testsuites", root.getTagName());
        assertEquals("4", root.getAttribute("tests"));
        assertEquals("3", root.getAttribute("failures"));
        Element suite = (Element) root.getElementsByTagName("testsuite").item(0);
        assertEquals("fair", suite.getAttribute("name"));
        assertEquals("3", suite.getAttribute("tests"));
        assertEquals("2", suite.getAttribute("failures"));
        assertEquals("2.250", suite.getAttribute("time"));
        var cases = suite.getElementsByTagName("testcase");
        assertEquals("slice.p99 < 1ms", ((Element) cases.item(0)).getAttribute("name"));
        Element failure = (Element) ((Element) cases.item(0)).getElementsByTagName("failure").item(0);
        assertEquals("expected slice.p99 < 1.000 ms, measured 12.000 ms", failure.getAttribute("message"));
        assertEquals(0, ((Element) cases.item(1)).getElementsByTagName("failure").getLength());
        assertEquals("PASS  lost == 0  (expected == 0, measured 0)", ((Element) cases.item(1)).getElementsByTagName("system-out").item(0).getTextContent());
        assertTrue(((Element) ((Element) cases.item(2)).getElementsByTagName("failure").item(0)).getAttribute("message").contains("not recorded"));
        Element second = (Element) root.getElementsByTagName("testsuite").item(1);
        assertEquals("odd <&> \"name\"", second.getAttribute("name"));
        assertEquals("a?b & c", ((Element) second.getElementsByTagName("testcase").item(0)).getAttribute("name"));
    }

    @Test
    void theAnalysisJsonReadsBackAsTheSameSummary() {
        for (RunSummary r : List.of(fairRun, unfairRun)) {
            String json = JsonReport.render(List.of(r));
            List<RunSummary> back = SummaryJson.parse(json);
            assertEquals(1, back.size());
            assertEquals(json, JsonReport.render(back));
        }
        for (String bad : List.of("", "{", "[]", "{\"recordings\": [{}]}", "{\"recordings\": [1]}", "{\"a\": tru}", "\"\\u12\"", "[".repeat(100))) {
            BadRecordingException e = assertThrows(BadRecordingException.class, () -> SummaryJson.parse(bad), bad);
            assertFalse(e.getMessage().isBlank());
        }
    }

    @Test
    void aBaselineHoldsForTheSameRunAndCatchesAnUnfairOne() {
        assertTrue(Baseline.compare(fairRun, fairRun).stream().allMatch(Baseline.Finding::held));
        List<Baseline.Finding> f = Baseline.compare(fairRun, unfairRun);
        List<String> regressed = f.stream().filter(x -> !x.held()).map(Baseline.Finding::metric).toList();
        // vm0 got 44/96 of the vCPUs' time in the fair run and 360/400 in the unfair one.
        assertTrue(regressed.containsAll(List.of("fairness", "split(vm0)", "split(vm1)", "slice.p50(vm0)")), regressed.toString());
        Baseline.Finding split = f.stream().filter(x -> x.metric().equals("split(vm0)")).findFirst().orElseThrow();
        assertEquals("REGRESSION split(vm0): 90.00 % now, 45.83 % in the baseline (rule: within ± 5 points)", split.line());
    }
}
