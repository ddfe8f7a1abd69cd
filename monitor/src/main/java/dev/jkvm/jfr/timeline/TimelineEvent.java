package dev.jkvm.jfr.timeline;

import java.util.List;

/**
 * One event being written to a {@link TimelineChunk}: put its fields, named, in the order its type
 * declares them, then {@link #commit()}. A put out of order or of the wrong kind, or a commit with
 * fields missing, is a programming error and throws, so a malformed event never reaches the file.
 */
public final class TimelineEvent {
    private final TimelineChunk chunk;
    private final TimelineType type;
    private final List<TimelineType.Field> fields;
    final Bytes body = new Bytes(96);
    private int next;

    TimelineEvent(TimelineChunk chunk, TimelineType type, int typeIndex, long startNanos, long durationNanos, TimelineThread thread) {
        if (durationNanos < 0) throw new IllegalArgumentException(type + ": negative duration " + durationNanos);
        this.chunk = chunk;
        this.type = type;
        this.fields = type.fields();
        body.writeLong(typeIndex);
        body.writeLong(startNanos);
        body.writeLong(durationNanos);
        body.writeLong(thread == null ? 0 : thread.javaThreadId()); // eventThread: 0 is none
        body.writeLong(0); // stackTrace: none, these events describe kernel moments
    }

    private void expect(String name, TimelineType.Kind... kinds) {
        if (next >= fields.size()) throw new IllegalStateException(type + " has only " + fields.size() + " fields, not " + name);
        TimelineType.Field f = fields.get(next);
        if (!f.name().equals(name)) throw new IllegalStateException(type + ": the next field is " + f.name() + ", not " + name);
        for (TimelineType.Kind k : kinds) {
            if (f.kind() == k) {
                next++;
                return;
            }
        }
        throw new IllegalStateException(type + "." + f.name() + " is " + f.kind() + ", not " + List.of(kinds));
    }

    public TimelineEvent putString(String name, String v) {
        expect(name, TimelineType.Kind.STRING);
        body.writeString(v);
        return this;
    }

    public TimelineEvent putInt(String name, int v) {
        expect(name, TimelineType.Kind.INT);
        body.writeInt(v);
        return this;
    }

    /** A long field; a {@code @Timestamp(TICKS)} one takes CLOCK_MONOTONIC nanoseconds (negative: unknown, written as Long.MIN_VALUE). */
    public TimelineEvent putLong(String name, long v) {
        expect(name, TimelineType.Kind.LONG, TimelineType.Kind.KERNEL_TIME, TimelineType.Kind.NANOS);
        body.writeLong(v);
        return this;
    }

    public TimelineEvent putBoolean(String name, boolean v) {
        expect(name, TimelineType.Kind.BOOLEAN);
        body.writeBoolean(v);
        return this;
    }

    /** Writes the event to the chunk's spill file. */
    public void commit() {
        if (next != fields.size()) {
            throw new IllegalStateException(type + ": " + (fields.size() - next) + " fields not set, next is " + fields.get(next).name());
        }
        if (chunk != null) chunk.commit(this); // null: the type is disabled
    }
}
