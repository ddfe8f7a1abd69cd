package dev.jkvm.jfr.timeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JDK's {@code jfr} tool, run as a user runs it, on a recording: its output, with a failure (exit
 * status, an exception on stderr or stdout) failing the test. Also reads {@code jfr print --json}
 * back into times, so a test can check what {@code jfr print} itself shows.
 */
public final class Readers {
    private Readers() {}

    public static String jfr(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "jfr").toString());
        cmd.addAll(List.of(args));
        Path errFile = java.nio.file.Files.createTempFile("jfr-stderr", ".txt");
        Process p = new ProcessBuilder(cmd).redirectError(errFile.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("jfr " + String.join(" ", args) + " did not finish within 60 s");
        }
        String err = java.nio.file.Files.readString(errFile);
        java.nio.file.Files.delete(errFile);
        assertEquals(0, p.exitValue(), "jfr " + String.join(" ", args) + " failed: " + err + head(out));
        assertFalse(err.contains("Exception") || out.contains("Exception:"), "jfr " + String.join(" ", args) + " reported: " + err + head(out));
        return out;
    }

    private static String head(String s) {
        return s.length() > 2000 ? s.substring(0, 2000) : s;
    }

    /** One event as {@code jfr print --json} shows it: its start time and the named timestamp field. */
    public record Printed(Instant start, Instant time, String thread) {}

    /** One event as {@code jfr print --json} shows it: its start time and the named number field. */
    public record PrintedNumber(Instant start, long value) {}

    /** Every event of {@code type} with its number field {@code field}, read from {@code jfr print --json --events type}. */
    public static List<PrintedNumber> printedNumbers(Path file, String type, String field) throws IOException, InterruptedException {
        Pattern number = Pattern.compile("\"" + field + "\": (-?[0-9]+)");
        List<PrintedNumber> out = new ArrayList<>();
        for (String event : printedEvents(file, type)) {
            Matcher s = START.matcher(event), n = number.matcher(event);
            if (!s.find() || !n.find()) throw new AssertionError("no startTime or " + field + " in jfr print's " + type + ": " + head(event));
            out.add(new PrintedNumber(Instant.parse(s.group(1)), Long.parseLong(n.group(1))));
        }
        return out;
    }

    /** The JSON text of each event of {@code type} in {@code jfr print --json --events type}, in the tool's order. */
    private static List<String> printedEvents(Path file, String type) throws IOException, InterruptedException {
        String json = jfr("print", "--json", "--events", type, file.toString());
        String[] parts = json.split("\"type\": \"" + Pattern.quote(type) + "\"");
        return List.of(parts).subList(1, parts.length);
    }

    private static final Pattern START = Pattern.compile("\"startTime\": \"([^\"]+)\"");
    private static final Pattern JAVA_NAME = Pattern.compile("\"javaName\": \"([^\"]*)\"");

    /** Every event of {@code type}, read from {@code jfr print --json --events type}. */
    public static List<Printed> printed(Path file, String type, String timeField) throws IOException, InterruptedException {
        Pattern time = Pattern.compile("\"" + timeField + "\": \"([^\"]+)\"");
        List<Printed> out = new ArrayList<>();
        for (String event : printedEvents(file, type)) {
            Matcher s = START.matcher(event), t = time.matcher(event), n = JAVA_NAME.matcher(event);
            if (!s.find()) throw new AssertionError("no startTime in jfr print's " + type + ": " + head(event));
            Instant start = Instant.parse(s.group(1));
            Instant at = t.find() ? Instant.parse(t.group(1)) : null;
            out.add(new Printed(start, at, n.find() ? n.group(1) : null));
        }
        return out;
    }
}
