package dev.jkvm.jfr;

import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.List;
import jdk.jfr.Configuration;

/** The JFR profiles jkvm ships (jfr-profiles/*.jfc, packaged under dev/jkvm/jfr/). */
public final class JfrProfiles {
    /** Switches, kernel ground truth, lifecycle and periodic summaries; low overhead. The default. */
    public static final String SCHED = "jkvm-sched";
    /** Everything, per-exit events included. */
    public static final String FULL = "jkvm-full";
    public static final List<String> NAMES = List.of(SCHED, FULL);

    private JfrProfiles() {}

    /**
     * The profile's JFR configuration: a shipped one by name, or a .jfc file (one {@code jfr configure}
     * wrote from a shipped profile, say with {@code lanes=false}); anything else is a usage error
     * listing the known names.
     */
    public static Configuration load(String name) {
        if (!NAMES.contains(name)) return file(name);
        try (InputStream in = JfrProfiles.class.getClassLoader().getResourceAsStream("dev/jkvm/jfr/" + name + ".jfc")) {
            if (in == null) throw new IllegalStateException("profile " + name + ".jfc is missing from the class path (jkvm-jfr-profiles jar)");
            try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                return Configuration.create(r);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ParseException e) {
            throw new IllegalStateException("profile " + name + ".jfc does not parse: " + e.getMessage(), e);
        }
    }

    /** A usage error unless {@code name} is a shipped profile or a readable .jfc file that parses. */
    public static void requireKnown(String name) {
        if (!NAMES.contains(name)) file(name);
    }

    private static Configuration file(String name) {
        Path p = Path.of(name);
        if (!Files.isRegularFile(p) && (name.contains("/") || name.endsWith(".jfc"))) {
            throw new UsageException("--profile " + name + ": no such file" + (Files.exists(p) ? " (not a regular file)" : ""));
        }
        if (!Files.isRegularFile(p)) {
            throw new UsageException("unknown profile '" + name + "' (profiles: " + String.join(", ", NAMES)
                    + ", or a .jfc file, such as one 'jfr configure' wrote from them)");
        }
        try {
            return Configuration.create(p);
        } catch (IOException e) {
            throw new UsageException("--profile " + name + " cannot be read: " + dev.jkvm.util.IoErrors.reason(e));
        } catch (ParseException e) {
            throw new UsageException("--profile " + name + " is not a JFR configuration (.jfc): " + String.valueOf(e.getMessage()).strip().replaceAll("\\s+", " "));
        }
    }
}
