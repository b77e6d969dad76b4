package io.pgmesh.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pgmesh.common.sql.SqlIdentifiers;
import org.junit.jupiter.api.Test;

class TableIdTest {

    @Test
    void quotesEveryPartSoHostileNamesStayNames() {
        assertEquals("\"public\".\"orders\"", new TableId("public", "orders").quoted());
        assertEquals("\"My Schema\".\"a\"\"b; DROP TABLE x\"",
                new TableId("My Schema", "a\"b; DROP TABLE x").quoted());
        assertEquals("\"select\"", SqlIdentifiers.quote("select"));
        assertEquals("\"Ünïcødé 表\"", SqlIdentifiers.quote("Ünïcødé 表"));
    }

    @Test
    void refusesEmptyNamesAndNulCharacters() {
        assertThrows(IllegalArgumentException.class, () -> new TableId("", "t"));
        assertThrows(IllegalArgumentException.class, () -> new TableId("s", null));
        assertThrows(IllegalArgumentException.class, () -> SqlIdentifiers.quote("a\0b"));
    }
}
