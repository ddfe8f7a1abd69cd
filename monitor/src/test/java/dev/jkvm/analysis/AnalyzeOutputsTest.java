package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a picture that cannot be written costs: only itself. `analyze --expect … --junit F --html
 * /dev/full` printed nothing and wrote no JUnit file; the report, the verdicts and the JUnit file now
 * come first, and the failure is one line and exit 1.
 */
class AnalyzeOutputsTest {
    @Test
    void anUnwritablePictureLosesOnlyItself(@TempDir Path dir) throws Exception {
        Path rec = new SyntheticSchedule().vm("vm0", 0).vm("vm1", 0).run("vm0", 4_000_000).run("vm1", 4_000_000).run("vm0", 4_000_000)
                .write(dir.resolve("pair.jfr"), 1);
        Path junit = dir.resolve("j.xml");
        StringWriter out = new StringWriter(), err = new StringWriter();
        Path svg = dir.resolve("ok.svg");
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), "analyze", rec.toString(), "--expect", "lost == 0", "--junit", junit.toString(),
                "--html", "/dev/full", "--svg", svg.toString());
        assertEquals(1, code, out + "\n" + err);
        assertTrue(out.toString().contains("vm1") && out.toString().contains("PASS  lost == 0"), out.toString());
        assertTrue(Files.readString(junit).contains("<testcase"), "the JUnit file is written");
        assertTrue(err.toString().startsWith("jkvm: cannot write --html /dev/full: "), err.toString());
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(Files.readString(svg).contains("<svg"), "the other picture is written");
    }
}
