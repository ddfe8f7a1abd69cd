package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `jkvm bench` smoke run: every suite, tiny sizes, builds the C reference and reports both sides and
 * the JSON; numbers are reported, never asserted as times (benchmarks never fail CI on a number).
 */
@Tag("kvm")
class BenchCommandKvmTest {
    @Test
    void everySuiteRunsAgainstItsReferenceAndWritesJson(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter(), err = new StringWriter();
        Path json = dir.resolve("bench.json");
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), "bench", "--no-sandbox", "--exits", "2000", "--rounds", "2",
                "--start", "2", "--record", "--pings", "2000", "--scale", "2", "--duration", "300ms", "--json", json.toString());
        String text = out.toString();
        assertEquals(0, code, text + "\n" + err);
        Matcher m = Pattern.compile("median Java (\\d+) ns/exit, C (\\d+) ns/exit").matcher(text);
        assertTrue(m.find(), text);
        assertTrue(Long.parseLong(m.group(1)) > 0 && Long.parseLong(m.group(2)) > 0, text);
        assertEquals(2, text.lines().filter(l -> l.startsWith("bench: exits: round")).count(), text);
        assertTrue(text.contains("bench: start: 2 VMs, create → first exit per VM: median Java"), text);
        assertTrue(Pattern.compile("record: .*jkvm-sched \\d+ ns/exit .*jkvm-full \\d+ ns/exit").matcher(text).find(), text);
        Matcher scale = Pattern.compile("scale: 2 VMs × 300[.0]* ms: wall ([\\d.]+) s \\(set-up ([\\d.]+) s, creating the VMs ([\\d.]+) s of it, "
                + "CPU time user ([\\d.]+) s \\+ system ([\\d.]+) s; stop to end ([\\d.]+) s\\); all runnable [\\d.]+ ms after the gate; \\d started")
                .matcher(text);
        assertTrue(scale.find(), text);
        double wall = Double.parseDouble(scale.group(1)), setUp = Double.parseDouble(scale.group(2)),
                creating = Double.parseDouble(scale.group(3)), cpu = Double.parseDouble(scale.group(4)) + Double.parseDouble(scale.group(5)),
                stopToEnd = Double.parseDouble(scale.group(6));
        // The parts lie within the whole: creating within the set-up, and set-up + the run + stop to end make the wall time.
        assertTrue(creating > 0 && creating <= setUp && setUp + 0.3 + stopToEnd <= wall + 0.02 && stopToEnd > 0, text);
        // The set-up's CPU time: some, and no more than every CPU of the process busy for all of it (getrusage counts microseconds).
        assertTrue(cpu > 0 && cpu <= setUp * Runtime.getRuntime().availableProcessors() + 0.001, text);
        String j = Files.readString(json);
        for (String key : new String[] {"\"exits\"", "\"start\"", "\"record\"", "\"scale\"", "\"medianRatio\"", "\"bytesPerSwitch\"",
            "\"runTimeSpreadMillis\"", "\"setUpSeconds\"", "\"creatingVmsSeconds\"", "\"setUpUserCpuSeconds\"", "\"setUpSystemCpuSeconds\"", "\"stopToEndSeconds\"", "\"maxJavaBytesPerExit\"", "\"jvmFlags\""}) {
            assertTrue(j.contains(key), key + " missing from " + j);
        }
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
