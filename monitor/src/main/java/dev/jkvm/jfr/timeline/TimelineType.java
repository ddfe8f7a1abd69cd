package dev.jkvm.jfr.timeline;

import java.util.ArrayList;
import java.util.List;

/**
 * An event type of a timeline chunk, declared as the JDK declares its own event classes: a name
 * with a product prefix, a label, a description, a category path, and fields that each carry a
 * label, a description and a unit. Every type has the implicit {@code startTime} and
 * {@code duration}; {@link Builder#onThread()} adds {@code eventThread}. No type has a
 * {@code stackTrace}: these events describe kernel moments, where a Java stack means nothing.
 */
public final class TimelineType {
    /** What a field holds and how readers show it. */
    public enum Kind {
        STRING, INT, LONG, BOOLEAN,
        /** CLOCK_MONOTONIC nanoseconds; written as chunk ticks, which this chunk defines as exactly that clock. */
        KERNEL_TIME,
        /** A length in nanoseconds. */
        NANOS,
        /** A rate in hertz. */
        HERTZ
    }

    public record Field(String name, Kind kind, String label, String description) {}

    private final String name, label, description;
    private final List<String> category;
    private final boolean onThread;
    private final List<Field> fields;

    private TimelineType(Builder b) {
        this.name = b.name;
        this.label = b.label;
        this.description = b.description;
        this.category = List.copyOf(b.category);
        this.onThread = b.onThread;
        this.fields = List.copyOf(b.fields);
    }

    public static Builder named(String name, String label, String description) {
        return new Builder(name, label, description);
    }

    public String name() { return name; }
    public String label() { return label; }
    public String description() { return description; }
    public List<String> category() { return category; }
    public boolean onThread() { return onThread; }
    public List<Field> fields() { return fields; }

    @Override
    public String toString() {
        return name;
    }

    public static final class Builder {
        private final String name, label, description;
        private List<String> category = List.of();
        private boolean onThread;
        private final List<Field> fields = new ArrayList<>();

        private Builder(String name, String label, String description) {
            if (!name.contains(".")) throw new IllegalArgumentException("an event name carries a product prefix: " + name);
            this.name = name;
            this.label = label;
            this.description = description;
        }

        public Builder category(String... path) {
            category = List.of(path);
            return this;
        }

        /** The events have an {@code eventThread} (the thread they describe, or none). */
        public Builder onThread() {
            onThread = true;
            return this;
        }

        public Builder field(String name, Kind kind, String label, String description) {
            if (List.of("startTime", "duration", "eventThread", "stackTrace").contains(name)) {
                throw new IllegalArgumentException(name + " is an implicit field");
            }
            for (Field f : fields) if (f.name().equals(name)) throw new IllegalArgumentException("field " + name + " twice");
            fields.add(new Field(name, kind, label, description));
            return this;
        }

        public TimelineType build() {
            return new TimelineType(this);
        }
    }
}
