package dev.jkvm.jfr.timeline;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The string constant pool of one appended chunk. A timeline event repeats a few strings (VM names,
 * switch classes, where a time came from, task names) on every switch; written inline they were
 * most of an event's bytes. In the chunk each distinct string is written once, in the constant pool
 * of type {@code java.lang.String}, and an event refers to it by key (JFR's string encoding 2, which
 * the JVM uses for its own pooled strings and every reader resolves).
 *
 * <p>Bounded: at most {@value #MAX_STRINGS} strings of at most {@value #MAX_BYTES} UTF-8 bytes per
 * chunk; any other string stays inline, so nothing a guest or a foreign task names grows this
 * beyond about {@value #MAX_STRINGS} × {@value #MAX_BYTES} bytes.
 */
final class ChunkStrings {
    static final int MAX_STRINGS = 16 * 1024;
    static final int MAX_BYTES = 256;
    static final int ENCODING_CONSTANT_POOL = 2;

    private final Map<String, Long> keys = new HashMap<>();
    private final long firstKey;

    /** A pool whose keys begin at {@code firstKey}. */
    ChunkStrings(long firstKey) {
        this.firstKey = firstKey;
    }

    /** The first key after this pool's. */
    long nextKey() {
        return firstKey + keys.size();
    }

    /** The key of {@code utf8} in this chunk's pool (added when new), or -1 when it stays inline. */
    long keyOf(byte[] utf8) {
        if (utf8.length > MAX_BYTES) return -1;
        String s = new String(utf8, StandardCharsets.UTF_8);
        Long key = keys.get(s);
        if (key != null) return key;
        if (keys.size() >= MAX_STRINGS) return -1;
        long k = firstKey + keys.size();
        keys.put(s, k);
        return k;
    }

    boolean isEmpty() {
        return keys.isEmpty();
    }

    /** Writes the pool as one constant pool entry list: type id, count, then key and string for each. */
    void writeTo(Bytes b, long stringTypeId) {
        b.writeLong(stringTypeId);
        b.writeInt(keys.size());
        keys.forEach((s, k) -> {
            b.writeLong(k);
            b.writeString(s);
        });
    }
}
