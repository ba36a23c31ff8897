package org.farmwatch.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void theLayoutIsOneEntryALineWithArraysOnOneLine() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("a", 1.0);
        inner.put("b", List.of(1L, 2.5));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run_id", "demo");
        m.put("counts", inner);
        m.put("empty", Map.of());
        m.put("list", List.of(Map.of("k", true), "x"));
        m.put("nan", Double.NaN);
        m.put("none", null);
        assertEquals("""
                {
                  "run_id": "demo",
                  "counts": {
                    "a": 1,
                    "b": [1, 2.5]
                  },
                  "empty": {},
                  "list": [{
                      "k": true
                    }, "x"],
                  "nan": null,
                  "none": null
                }
                """, Json.write(m));
    }

    @Test
    void angleBracketsAndControlCharactersAreEscaped() {
        assertEquals("\"\\u003cscript>\\n\\u0001é\"\n", Json.write("<script>\n\u0001é"));
        StringBuilder b = new StringBuilder();
        Json.quote(b, "a\"b");
        assertEquals("\"a\\\"b\"", b.toString());
    }

    @Test
    void numbersReadAsLongOrDoubleAndMapsKeepTheirOrder() {
        Map<String, Object> m = Json.parseObject("{\"z\": 5, \"a\": 2.5, \"l\": [1, {\"x\": null}]}");
        assertEquals(List.of("z", "a", "l"), List.copyOf(m.keySet()));
        assertEquals(5L, m.get("z"));
        assertEquals(2.5, m.get("a"));
        assertEquals(m, Json.parseObject(Json.write(m)));
    }

    @Test
    void trailingTextOrANonObjectIsRefused() {
        String m = assertThrows(IllegalArgumentException.class, () -> Json.parse("{} x")).getMessage();
        assertTrue(m.startsWith("bad JSON"), m);
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": }"));
        assertEquals("JSON text is not an object",
                assertThrows(IllegalArgumentException.class, () -> Json.parseObject("[1]")).getMessage());
    }
}
