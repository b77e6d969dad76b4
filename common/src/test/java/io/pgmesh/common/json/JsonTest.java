package io.pgmesh.common.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {

    @Test
    void readsWhatPostgresJsonBuildObjectWrites() {
        Object parsed = Json.parse("{\"sql\" : \"CREATE TABLE \\\"Të\\\\st\\\" (a int)\\n\", \"search_path\" : "
                + "\"\\\"$user\\\", public\", \"role\" : \"app\", \"sets\" : [\"ddl_sql\",\"x\"], \"n\": -1.5e3,"
                + " \"ok\": true, \"none\": null, \"u\": \"\\u00e9\\ud83d\\ude00\"}");
        Map<?, ?> m = (Map<?, ?>) parsed;
        assertEquals("CREATE TABLE \"Të\\st\" (a int)\n", m.get("sql"));
        assertEquals("\"$user\", public", m.get("search_path"));
        assertEquals(List.of("ddl_sql", "x"), m.get("sets"));
        assertEquals(new BigDecimal("-1.5e3"), m.get("n"));
        assertEquals(Boolean.TRUE, m.get("ok"));
        assertNull(m.get("none"));
        assertEquals("é😀", m.get("u"));
    }

    @Test
    void writesWhatItReads() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("text", "quote \" backslash \\ newline \n tab \t bell \u0007 é");
        value.put("list", List.of("a", true, new BigDecimal("12.50")));
        value.put("nothing", null);
        value.put("nested", Map.of("k", List.of()));
        assertEquals(value, Json.parse(Json.write(value)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "{\"a\":}", "{\"a\":1,}", "[1 2]", "\"open", "01", "1.", "tru", "{\"a\":1}x",
            "{a:1}", "\"\\x\"", "{\"a\":1,\"a\":2}", "\"tab\tinside\""})
    void refusesMalformedText(String text) {
        assertThrows(IllegalArgumentException.class, () -> Json.parse(text));
    }

    @Test
    void refusesDeepNesting() {
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[".repeat(100) + "]".repeat(100)));
    }
}
