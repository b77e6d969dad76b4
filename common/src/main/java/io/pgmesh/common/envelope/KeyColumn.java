package io.pgmesh.common.envelope;

import java.util.Objects;

/** One replica-identity column of a row key: name and text value (null for SQL NULL). */
public record KeyColumn(String name, String value) {

    public KeyColumn {
        Objects.requireNonNull(name, "key column name");
    }
}
