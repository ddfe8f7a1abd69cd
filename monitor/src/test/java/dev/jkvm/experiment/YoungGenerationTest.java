package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Emptying the young generation before a timed run: the JVM's own record of it (jdk.GarbageCollection,
 * what JMC's rules read) shows a collection that System.gc() did not cause, so JMC's System.gc() rule
 * has nothing to say about jkvm; and what it allocates is bounded.
 */
class YoungGenerationTest {
    @Test
    void aCollectionComesAndItIsNotSystemGc(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("gc.jfr");
        boolean collected;
        try (Recording r = new Recording()) {
            r.enable("jdk.GarbageCollection");
            r.start();
            collected = YoungGeneration.empty();
            r.stop();
            r.dump(file);
        }
        assertTrue(collected, "no collection within " + YoungGeneration.budget() + " bytes");
        List<RecordedEvent> gcs = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("jdk.GarbageCollection")).toList();
        assertFalse(gcs.isEmpty(), "the JVM recorded no collection");
        for (RecordedEvent e : gcs) assertFalse(e.getString("cause").equals("System.gc()"), "a collection caused by System.gc(): " + e);
    }

    @Test
    void theBudgetIsBounded() {
        long b = YoungGeneration.budget();
        assertTrue(b >= 64L << 20 && b <= 1L << 30, Long.toString(b));
    }
}
