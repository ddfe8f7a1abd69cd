package dev.jkvm.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void numbersAreJsonNumbersStringsAreEscapedAndNanIsNull() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", 3);
        m.put("ratio", 1.0254);
        m.put("whole", 2.0);
        m.put("tiny", 1.5e-7);
        m.put("big", 1234567.0);
        m.put("nan", Double.NaN);
        m.put("s", "a \"quoted\"\nline\\");
        m.put("list", List.of(1, "x", true));
        m.put("empty", Map.of());
        assertEquals("""
                {
                  "n": 3,
                  "ratio": 1.0254,
                  "whole": 2,
                  "tiny": 1.5e-07,
                  "big": 1.23457e+06,
                  "nan": null,
                  "s": "a \\"quoted\\"\\nline\\\\",
                  "list": [1, "x", true],
                  "empty": {}
                }
                """, Json.write(m));
    }
}
