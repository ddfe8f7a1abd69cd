package dev.jkvm.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every event class in dev.jkvm.jfr is registered before a recording starts, either in the list of
 * plain events or as a timeline type: one registered later makes the JVM write its whole metadata
 * (about 137 KB) into the running recording again.
 */
class JkvmEventTypesTest {

    @Test
    void everyEventClassOfThePackageIsRegisteredBeforeTheRecordingStarts() throws Exception {
        TreeSet<String> found = new TreeSet<>();
        try (Stream<Path> files = Files.list(packageDirectory())) {
            for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = p.getFileName().toString().replace(".class", "");
                Class<?> c = Class.forName("dev.jkvm.jfr." + name, false, JkvmEventTypes.class.getClassLoader());
                if (jdk.jfr.Event.class.isAssignableFrom(c)) found.add(c.getSimpleName());
            }
        }
        TreeSet<String> registered = new TreeSet<>();
        for (Class<?> c : JkvmEventTypes.PLAIN) registered.add(c.getSimpleName());
        for (Class<?> c : JkvmTimeline.EVENT_CLASSES) registered.add(c.getSimpleName());
        assertEquals(found, registered, "add new event classes to JkvmEventTypes.PLAIN (or JkvmTimeline's types)");
    }

    private static Path packageDirectory() throws URISyntaxException {
        return Path.of(JkvmEventTypes.class.getProtectionDomain().getCodeSource().getLocation().toURI()).resolve("dev/jkvm/jfr");
    }
}
