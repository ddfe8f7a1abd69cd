package dev.jkvm.sched;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/** Reading jkvm recordings back with jdk.jfr.consumer, for tests. */
final class Recordings {
    private Recordings() {}

    static List<RecordedEvent> events(Path file, String type) throws IOException {
        return RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals(type))
                .sorted(Comparator.comparingLong(e -> e.hasField("monotonicNanos") ? e.getLong("monotonicNanos") : 0L))
                .toList();
    }

    static RecordedEvent single(Path file, String type, String vm) throws IOException {
        List<RecordedEvent> all = events(file, type).stream().filter(e -> vm.equals(e.getString("vm"))).toList();
        if (all.size() != 1) throw new AssertionError("expected one " + type + " for " + vm + ", found " + all.size());
        return all.get(0);
    }
}
