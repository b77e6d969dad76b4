package io.pgmesh.common.envelope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.TreeSet;
import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.Test;

class DdlCommandTest {

    @Test
    void readsTheJsonOfEmitDdl() {
        // as json_build_object(...)::text prints it on PostgreSQL 17
        String content = "{\"sql\" : \"ALTER TABLE t ADD COLUMN c int DEFAULT 7\", \"search_path\" : \"\\\"$user\\\","
                + " public\", \"role\" : \"app\", \"sets\" : [\"ddl_sql\"]}";
        DdlCommand ddl = DdlCommand.parse(content.getBytes(StandardCharsets.UTF_8));
        assertEquals("ALTER TABLE t ADD COLUMN c int DEFAULT 7", ddl.sql());
        assertEquals("\"$user\", public", ddl.searchPath());
        assertEquals("app", ddl.role());
        assertEquals(new TreeSet<>(java.util.List.of("ddl_sql")), ddl.sets());
        assertEquals(ddl, DdlCommand.parse(ddl.toContent()));
    }

    @Test
    void contentThatPgmeshDidNotWriteIsADataException() {
        for (String content : new String[] {"CREATE TABLE x()", "[]", "{\"sql\":\"x\",\"search_path\":\"\",\"role\":\"r\"}",
                "{\"sql\":1,\"search_path\":\"\",\"role\":\"r\",\"sets\":[]}",
                "{\"sql\":\"x\",\"search_path\":\"\",\"role\":\"r\",\"sets\":[1]}"}) {
            assertThrows(DataException.class, () -> DdlCommand.parse(content.getBytes(StandardCharsets.UTF_8)), content);
        }
    }
}
