package io.pgmesh.common;

import io.pgmesh.common.sql.SqlIdentifiers;

/** A table by schema and name, both as PostgreSQL stores them (case and characters preserved). */
public record TableId(String schema, String table) {

    public TableId {
        if (schema == null || schema.isEmpty()) {
            throw new IllegalArgumentException("schema name must not be empty");
        }
        if (table == null || table.isEmpty()) {
            throw new IllegalArgumentException("table name must not be empty");
        }
    }

    /** The table as a quoted SQL identifier, safe to put in any statement: {@code "s"."t"}. */
    public String quoted() {
        return SqlIdentifiers.quote(schema) + "." + SqlIdentifiers.quote(table);
    }

    @Override
    public String toString() {
        return quoted();
    }
}
