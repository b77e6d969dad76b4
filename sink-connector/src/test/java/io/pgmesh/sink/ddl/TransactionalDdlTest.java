package io.pgmesh.sink.ddl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TransactionalDdlTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', ignoreLeadingAndTrailingWhitespace = false, value = {
        "CREATE INDEX CONCURRENTLY i ON t (a)|CREATE INDEX  i ON t (a)",
        "create unique index concurrently if not exists i on t (a)|create unique index  if not exists i on t (a)",
        "DROP INDEX CONCURRENTLY IF EXISTS i|DROP INDEX  IF EXISTS i",
        "REINDEX (VERBOSE) TABLE CONCURRENTLY t|REINDEX (VERBOSE) TABLE  t",
        "ALTER TABLE p DETACH PARTITION \"p 2024\" CONCURRENTLY|ALTER TABLE p DETACH PARTITION \"p 2024\" ",
        "CREATE INDEX \"concurrently\" ON t (a)|CREATE INDEX \"concurrently\" ON t (a)",
        "CREATE TABLE concurrently (a int)|CREATE TABLE concurrently (a int)",
        "/* CREATE INDEX CONCURRENTLY */ CREATE TABLE t (a int)|/* CREATE INDEX CONCURRENTLY */ CREATE TABLE t (a int)",
        "COMMENT ON TABLE t IS 'CREATE INDEX CONCURRENTLY x'|COMMENT ON TABLE t IS 'CREATE INDEX CONCURRENTLY x'",
        "ALTER TABLE t ADD COLUMN c text DEFAULT 'DETACH PARTITION x CONCURRENTLY'|ALTER TABLE t ADD COLUMN c text DEFAULT 'DETACH PARTITION x CONCURRENTLY'",
    })
    void concurrentlyIsDroppedOnlyWhereItKeepsAStatementOutOfATransaction(String origin, String applied) {
        assertEquals(applied, TransactionalDdl.of(origin));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', ignoreLeadingAndTrailingWhitespace = false, value = {
        "SELECT 'a''b' -- c|SELECT 'xxxx' xxxx",
        "DO $f$ BEGIN END $f$; x|DO xxxxxxxxxxxxxxxxx; x",
        "\"a\"\"b\" c|\"xxxx\" c",
    })
    void maskingKeepsPositions(String sql, String masked) {
        assertEquals(masked, TransactionalDdl.mask(sql));
    }
}
