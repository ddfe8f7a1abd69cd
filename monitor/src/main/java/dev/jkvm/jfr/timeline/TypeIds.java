package dev.jkvm.jfr.timeline;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.AnnotationElement;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.ValueDescriptor;
import jdk.jfr.consumer.RecordingFile;

/**
 * The type ids an appended chunk uses, chosen to agree with the recording's earlier chunks. The JDK's
 * parser keeps its constant lookups across chunks by type id, and {@code jfr summary} names event
 * types by id across chunks (the JVM keeps ids stable within a recording). So a type the JVM also
 * declares ({@code java.lang.Thread}, {@code long}, {@code jdk.jfr.Label}, jkvm's event types, which
 * are registered with it …) gets the JVM's id, and every other type an id above all of the JVM's.
 */
final class TypeIds {
    private final Map<String, Long> byName;
    private long next;

    private TypeIds(Map<String, Long> byName, long next) {
        this.byName = byName;
        this.next = next;
    }

    /** The ids of every type reachable from the recording's event types, as its metadata declares them. */
    static TypeIds of(Path recording) throws IOException {
        try (RecordingFile f = new RecordingFile(recording)) {
            return of(f.readEventTypes());
        }
    }

    /**
     * The ids of every type reachable from this JVM's registered event types: the ids the metadata of
     * its own recordings declares (the JVM writes its types with these ids), taken without parsing a
     * file: parsing the recording's metadata for them took 100–165 ms of the write after a SIGTERM to
     * 256 VMs (2026-11-26, the parser's code still cold). Only for a recording this JVM wrote.
     */
    static TypeIds live() {
        return of(FlightRecorder.getFlightRecorder().getEventTypes());
    }

    private static TypeIds of(List<EventType> types) {
        Map<String, Long> ids = new HashMap<>();
        long max = 1; // 0 and 1 are the metadata and constant pool records
        for (EventType t : types) {
            max = Math.max(max, t.getId());
            // jkvm's event types too: the JVM declares them (registered, never committed), and an
            // appended chunk that gave them new ids had `jfr summary` list each twice, once with 0.
            ids.putIfAbsent(t.getName(), t.getId());
            max = Math.max(max, annotations(t.getAnnotationElements(), ids));
            for (ValueDescriptor v : t.getFields()) max = Math.max(max, field(v, ids));
        }
        return new TypeIds(ids, max + 1);
    }

    /** Every type named so far and its id (for tests). */
    Map<String, Long> named() {
        return Map.copyOf(byName);
    }

    /** The id the next type without one will get (for tests: on a fresh map, the first above the JVM's). */
    long nextId() {
        return next;
    }

    private static long field(ValueDescriptor v, Map<String, Long> ids) {
        long max = annotations(v.getAnnotationElements(), ids);
        if (ids.putIfAbsent(v.getTypeName(), v.getTypeId()) == null) {
            max = Math.max(max, v.getTypeId());
            for (ValueDescriptor f : v.getFields()) max = Math.max(max, field(f, ids));
        }
        return Math.max(max, v.getTypeId());
    }

    private static long annotations(List<AnnotationElement> list, Map<String, Long> ids) {
        long max = 0;
        for (AnnotationElement a : list) {
            max = Math.max(max, a.getTypeId());
            if (ids.putIfAbsent(a.getTypeName(), a.getTypeId()) == null) {
                max = Math.max(max, annotations(a.getAnnotationElements(), ids)); // @ContentType on @Timestamp …
            }
        }
        return max;
    }

    /** The id of a type by name: the JVM's, or a new one above all of the JVM's. */
    long id(String name) {
        Long id = byName.get(name);
        if (id == null) {
            id = next++;
            byName.put(name, id);
        }
        return id;
    }
}
