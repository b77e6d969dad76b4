package io.pgmesh.common.envelope;

import java.util.Objects;

/**
 * One column of a row image: its name, its type as PostgreSQL's {@code format_type} prints it
 * (schema-qualified unless in pg_catalog), and its value in PostgreSQL's own text representation,
 * exactly as {@code SELECT col::text} prints it. {@code value} is null for SQL NULL and for an
 * unchanged TOASTed value, which {@code unchangedToast} marks (the value was not sent: keep the
 * stored one).
 */
public record ColumnValue(String name, String type, String value, boolean unchangedToast) {

    public ColumnValue {
        Objects.requireNonNull(name, "column name");
        Objects.requireNonNull(type, "column type");
        if (unchangedToast && value != null) {
            throw new IllegalArgumentException("an unchanged TOAST column carries no value: " + name);
        }
    }

    public static ColumnValue of(String name, String type, String value) {
        return new ColumnValue(name, type, value, false);
    }

    public static ColumnValue unchangedToast(String name, String type) {
        return new ColumnValue(name, type, null, true);
    }

    public boolean isNull() {
        return value == null && !unchangedToast;
    }
}
