package io.pgmesh.common.sql;

/**
 * Quoting of SQL identifiers the way PostgreSQL's {@code quote_ident} does, but always. Values never
 * go into SQL text: they are bound as parameters.
 */
public final class SqlIdentifiers {

    private SqlIdentifiers() {
    }

    /**
     * Always quotes, so that capitals, spaces, keywords and non-ASCII survive:
     * {@code My "Table"} becomes {@code "My ""Table"""}.
     */
    public static String quote(String identifier) {
        if (identifier == null || identifier.isEmpty()) {
            throw new IllegalArgumentException("an SQL identifier must not be empty");
        }
        if (identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("an SQL identifier must not contain a NUL character");
        }
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
