package dev.jkvm.jfr;

import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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

    /** The profile's JFR configuration; an unknown name is a usage error listing the known ones. */
    public static Configuration load(String name) {
        requireKnown(name);
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

    public static void requireKnown(String name) {
        if (!NAMES.contains(name)) {
            throw new UsageException("unknown profile '" + name + "' (profiles: " + String.join(", ", NAMES) + ")");
        }
    }
}
