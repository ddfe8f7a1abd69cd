package dev.jkvm.sched;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The field offsets of a tracepoint's raw data, read from tracefs's {@code events/…/format} file
 * (they differ between kernels, so they are never hard-coded).
 */
public final class TracepointFormat {
    private static final Pattern FIELD = Pattern.compile(
            "field:[^;]*?\\b(\\w+)(\\[\\d+\\])?;\\s*offset:(\\d+);\\s*size:(\\d+);");

    private record Field(int offset, int size) {}

    private final Map<String, Field> fields = new HashMap<>();

    public static TracepointFormat parse(String formatFileText) {
        TracepointFormat f = new TracepointFormat();
        Matcher m = FIELD.matcher(formatFileText);
        while (m.find()) {
            f.fields.put(m.group(1), new Field(Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4))));
        }
        return f;
    }

    public boolean has(String name) {
        return fields.containsKey(name);
    }

    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * An integer field (1, 2, 4 or 8 bytes, little-endian, sign-extended). Read through byte-array
     * views, not a ByteBuffer wrapped for each field: that was 0.5 MB of the recorder's garbage in a
     * 2 s run of 256 VMs (a sched_switch sample has several fields).
     */
    public long integer(byte[] raw, String name) {
        Field f = field(name);
        return switch (f.size) {
            case 1 -> raw[f.offset];
            case 2 -> (short) SHORT.get(raw, f.offset);
            case 4 -> (int) INT.get(raw, f.offset);
            case 8 -> (long) LONG.get(raw, f.offset);
            default -> throw new IllegalArgumentException("field " + name + " has size " + f.size);
        };
    }

    /** A char[] field as a string up to its first NUL. */
    public String string(byte[] raw, String name) {
        Field f = field(name);
        int end = f.offset;
        while (end < f.offset + f.size && end < raw.length && raw[end] != 0) end++;
        return new String(raw, f.offset, end - f.offset, StandardCharsets.UTF_8);
    }

    private Field field(String name) {
        Field f = fields.get(name);
        if (f == null) throw new IllegalArgumentException("tracepoint has no field '" + name + "'");
        return f;
    }
}
