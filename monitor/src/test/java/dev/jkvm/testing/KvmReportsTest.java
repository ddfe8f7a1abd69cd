package dev.jkvm.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KvmReportsTest {

    @Test
    void countsPassedFailedErroredAndSkippedTests(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("TEST-junit-jupiter.xml"), """
                <?xml version="1.0" encoding="UTF-8"?>
                <testsuite name="JUnit Jupiter" tests="5" skipped="1" failures="1" errors="1">
                  <testcase name="ok()" classname="a.OkTest" time="0.1"/>
                  <testcase name="ok2()" classname="a.OkTest" time="0.1"><system-out>x</system-out></testcase>
                  <testcase name="bad()" classname="a.BadTest"><failure message="expected: &lt;1&gt; but was: &lt;2&gt;" type="AssertionFailedError">trace</failure></testcase>
                  <testcase name="boom()" classname="a.BadTest"><error type="java.lang.IllegalStateException">trace</error></testcase>
                  <testcase name="later()" classname="a.SkipTest"><skipped message="no KVM"/></testcase>
                </testsuite>
                """);
        Files.writeString(dir.resolve("other.xml"), "<not-a-report/>");
        KvmReports.Summary s = KvmReports.read(dir);
        assertEquals("KVM-tests: 2 passed, 2 failed, 1 skipped", s.line());
        assertEquals(List.of(new KvmReports.Failure("a.BadTest", "bad()", "expected: <1> but was: <2>"),
                new KvmReports.Failure("a.BadTest", "boom()", "java.lang.IllegalStateException")), s.failures());
        assertEquals(List.of("a.SkipTest.later(): no KVM"), s.skippedTests());
    }

    @Test
    void noReportsMeansNoTests(@TempDir Path dir) throws Exception {
        KvmReports.Summary s = KvmReports.read(dir.resolve("missing"));
        assertEquals(0, s.total());
        assertEquals("KVM-tests: 0 passed, 0 failed, 0 skipped", s.line());
    }
}
