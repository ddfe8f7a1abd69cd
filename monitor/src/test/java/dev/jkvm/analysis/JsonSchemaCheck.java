package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a JSON document against the shipped JSON Schema, for the keywords the schema uses (type,
 * required, properties, additionalProperties false, items, $ref, enum, minimum): the documented
 * schema and the output cannot drift apart. Includes a small JSON parser (tests only).
 */
final class JsonSchemaCheck {
    private JsonSchemaCheck() {}

    @SuppressWarnings("unchecked")
    static void validate(String json) throws Exception {
        Map<String, Object> schema;
        try (InputStream in = JsonReport.class.getResourceAsStream(JsonReport.SCHEMA_RESOURCE)) {
            assertNotNull(in, "schema resource missing");
            schema = (Map<String, Object>) new Parser(new String(in.readAllBytes(), StandardCharsets.UTF_8)).value();
        }
        assertEquals(JsonReport.SCHEMA_ID, schema.get("$id"));
        check(schema, schema, new Parser(json).value(), "$");
    }

    @SuppressWarnings("unchecked")
    private static void check(Map<String, Object> root, Map<String, Object> s, Object v, String path) {
        if (s.containsKey("$ref")) {
            String ref = (String) s.get("$ref");
            Map<String, Object> defs = (Map<String, Object>) root.get("$defs");
            check(root, (Map<String, Object>) defs.get(ref.substring("#/$defs/".length())), v, path);
            return;
        }
        if (s.containsKey("enum")) assertTrue(((List<Object>) s.get("enum")).contains(v), path + ": " + v + " not in " + s.get("enum"));
        Object type = s.get("type");
        if (type == null) return;
        switch ((String) type) {
            case "object" -> {
                if (!(v instanceof Map)) fail(path + " is not an object");
                Map<String, Object> o = (Map<String, Object>) v;
                Map<String, Object> props = (Map<String, Object>) s.getOrDefault("properties", Map.of());
                for (Object req : (List<Object>) s.getOrDefault("required", List.of())) assertTrue(o.containsKey(req), path + " lacks " + req);
                for (var e : o.entrySet()) {
                    Map<String, Object> p = (Map<String, Object>) props.get(e.getKey());
                    if (p == null) {
                        assertTrue(!Boolean.FALSE.equals(s.get("additionalProperties")), path + " has undocumented " + e.getKey());
                        continue;
                    }
                    check(root, p, e.getValue(), path + "." + e.getKey());
                }
            }
            case "array" -> {
                if (!(v instanceof List)) fail(path + " is not an array");
                List<Object> a = (List<Object>) v;
                for (int i = 0; i < a.size(); i++) check(root, (Map<String, Object>) s.get("items"), a.get(i), path + "[" + i + "]");
            }
            case "string" -> assertTrue(v instanceof String, path + " is not a string: " + v);
            case "boolean" -> assertTrue(v instanceof Boolean, path + " is not a boolean: " + v);
            case "integer" -> {
                assertTrue(v instanceof Long, path + " is not an integer: " + v);
                if (s.containsKey("minimum")) assertTrue((Long) v >= ((Number) s.get("minimum")).longValue(), path + " below minimum: " + v);
            }
            case "number" -> assertTrue(v instanceof Number, path + " is not a number: " + v);
            default -> fail("schema type " + type + " not handled");
        }
    }

    /** A strict enough JSON parser: objects keep their order, integers are Long, other numbers Double. */
    private static final class Parser {
        private final String s;
        private int i;

        Parser(String s) {
            this.s = s;
        }

        Object value() {
            ws();
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                Map<String, Object> m = new LinkedHashMap<>();
                ws();
                if (s.charAt(i) == '}') { i++; return m; }
                while (true) {
                    ws();
                    String k = (String) value();
                    ws();
                    expect(':');
                    m.put(k, value());
                    ws();
                    if (s.charAt(i) == ',') { i++; continue; }
                    expect('}');
                    return m;
                }
            }
            if (c == '[') {
                i++;
                List<Object> a = new ArrayList<>();
                ws();
                if (s.charAt(i) == ']') { i++; return a; }
                while (true) {
                    a.add(value());
                    ws();
                    if (s.charAt(i) == ',') { i++; continue; }
                    expect(']');
                    return a;
                }
            }
            if (c == '"') {
                StringBuilder b = new StringBuilder();
                i++;
                while (s.charAt(i) != '"') {
                    char d = s.charAt(i++);
                    if (d == '\\') {
                        char e = s.charAt(i++);
                        switch (e) {
                            case 'n' -> b.append('\n');
                            case 'u' -> { b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
                            default -> b.append(e);
                        }
                    } else {
                        b.append(d);
                    }
                }
                i++;
                return b.toString();
            }
            if (s.startsWith("true", i)) { i += 4; return true; }
            if (s.startsWith("false", i)) { i += 5; return false; }
            if (s.startsWith("null", i)) { i += 4; return null; }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
            String num = s.substring(start, i);
            if (num.isEmpty()) throw new IllegalArgumentException("bad JSON at " + start + ": " + s.substring(start, Math.min(s.length(), start + 20)));
            return num.contains(".") || num.contains("e") || num.contains("E") ? (Object) Double.parseDouble(num) : (Object) Long.parseLong(num);
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private void expect(char c) {
            if (s.charAt(i) != c) throw new IllegalArgumentException("expected " + c + " at " + i);
            i++;
        }
    }
}
