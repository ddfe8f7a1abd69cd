package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `jkvm bench --analyze` smoke run (needs no KVM): both sides measured on one small recording, the
 * event count the JDK's own reader finds in the file, the JSON; rates are printed, never judged.
 */
class AnalyzeBenchTest {
    @Test
    void analyzeSuiteComparesTheAnalysisWithTheBareParser(@TempDir Path dir) throws Exception {
        Path file = AnalysisScaleTest.schedule(2_000).write(dir.resolve("small.jfr"), 2);
        long events = 0;
        try (RecordingFile in = new RecordingFile(file)) {
            while (in.hasMoreEvents()) {
                in.readEvent();
                events++;
            }
        }
        Path json = dir.resolve("bench.json");
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), "bench", "--analyze", file.toString(), "--rounds", "2", "--json", json.toString());
        String text = out.toString();
        assertEquals(0, code, text + "\n" + err);
        Matcher m = Pattern.compile("analyze: small.jfr \\([\\d.]+ MB, (\\d+) events\\): median analyze [\\d.]+ M events/s, JDK parser alone [\\d.]+ M events/s")
                .matcher(text);
        assertTrue(m.find(), text);
        assertEquals(events, Long.parseLong(m.group(1)), text);
        assertEquals(2, text.lines().filter(l -> l.startsWith("bench: analyze: round") && l.contains(" analyze ")).count(), text);
        assertEquals(2, text.lines().filter(l -> l.startsWith("bench: analyze: round") && l.contains(" parser ")).count(), text);
        String j = Files.readString(json);
        for (String key : new String[] {"\"analyze\"", "\"medianRatio\"", "\"medianCpuRatio\"", "\"events\": " + events, "\"loadAverage\""}) {
            assertTrue(j.contains(key), key + " missing from " + j);
        }
        System.out.print(text);
    }
}
