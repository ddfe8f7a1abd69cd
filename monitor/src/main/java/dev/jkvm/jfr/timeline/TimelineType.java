package dev.jkvm.jfr.timeline;

import java.util.ArrayList;
import java.util.List;
import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.Timespan;
import jdk.jfr.Timestamp;
import jdk.jfr.ValueDescriptor;

/**
 * An event type of a timeline chunk, taken from a {@code jdk.jfr.Event} class as the JVM itself
 * declares it. Declaring it there too (the class is registered with the JVM, never committed) puts
 * it in the JVM's first chunk with the same name, id and fields, which readers need: {@code jfr
 * view} resolves a type only from a file's first metadata, and {@code jfr summary} names event types
 * by id across chunks. The chunk then mirrors the JVM's declaration field for field.
 */
public final class TimelineType {
    /** How a field is written, from its Java type and unit annotation. */
    enum Kind {
        STRING, INT, LONG, BOOLEAN,
        /** {@code @Timestamp(TICKS)}: given as CLOCK_MONOTONIC nanoseconds, written as the recording's ticks. */
        KERNEL_TIME,
        /** {@code @Timespan(NANOSECONDS)}. */
        NANOS
    }

    record Field(ValueDescriptor descriptor, Kind kind) {
        String name() {
            return descriptor.getName();
        }
    }

    /** The fields the JVM gives every Java event class, in its order. */
    static final List<String> IMPLICIT = List.of("startTime", "duration", "eventThread", "stackTrace");

    private final EventType eventType;
    private final List<Field> fields;

    private TimelineType(EventType eventType, List<Field> fields) {
        this.eventType = eventType;
        this.fields = fields;
    }

    /**
     * The type of {@code eventClass}, which this registers with the JVM. Its fields may be String,
     * int, long (plain, {@code @Timestamp(TICKS)} or {@code @Timespan(NANOSECONDS)}) or boolean;
     * anything else is refused here rather than written wrongly later.
     */
    public static TimelineType of(Class<? extends Event> eventClass) {
        EventType t = EventType.getEventType(eventClass);
        List<ValueDescriptor> all = t.getFields();
        for (int i = 0; i < IMPLICIT.size(); i++) {
            if (all.size() <= i || !all.get(i).getName().equals(IMPLICIT.get(i))) {
                throw new IllegalArgumentException(t.getName() + ": the JVM declares its fields as " + names(all) + ", not starting with " + IMPLICIT);
            }
        }
        List<Field> fields = new ArrayList<>();
        for (ValueDescriptor v : all.subList(IMPLICIT.size(), all.size())) fields.add(new Field(v, kind(t, v)));
        return new TimelineType(t, List.copyOf(fields));
    }

    private static Kind kind(EventType t, ValueDescriptor v) {
        Timestamp ts = v.getAnnotation(Timestamp.class);
        Timespan span = v.getAnnotation(Timespan.class);
        String where = t.getName() + "." + v.getName();
        if (v.isArray()) throw new IllegalArgumentException(where + ": arrays are not supported");
        switch (v.getTypeName()) {
            case "java.lang.String": return Kind.STRING;
            case "int": return Kind.INT;
            case "boolean": return Kind.BOOLEAN;
            case "long":
                if (ts != null) {
                    if (!ts.value().equals(Timestamp.TICKS)) throw new IllegalArgumentException(where + ": a timestamp must be in TICKS");
                    return Kind.KERNEL_TIME;
                }
                if (span != null) {
                    if (!span.value().equals(Timespan.NANOSECONDS)) throw new IllegalArgumentException(where + ": a timespan must be in NANOSECONDS");
                    return Kind.NANOS;
                }
                return Kind.LONG;
            default:
                throw new IllegalArgumentException(where + ": type " + v.getTypeName() + " is not supported");
        }
    }

    private static List<String> names(List<ValueDescriptor> fields) {
        return fields.stream().map(ValueDescriptor::getName).toList();
    }

    public String name() {
        return eventType.getName();
    }

    EventType eventType() {
        return eventType;
    }

    List<Field> fields() {
        return fields;
    }

    @Override
    public String toString() {
        return name();
    }
}
