package io.pgmesh.common.envelope;

import java.util.Arrays;

/** What a record in a node topic says happened. Travels in the {@code pgmesh.op} header. */
public enum Operation {
    INSERT("insert"),
    UPDATE("update"),
    /** A row delete: the record's value is null (a tombstone), its key names the row. */
    DELETE("delete"),
    TRUNCATE("truncate"),
    /** A logical decoding message ({@code pg_logical_emit_message}), for example replicated DDL. */
    MESSAGE("message"),
    /** A periodic liveness record of the source; carries no change. */
    HEARTBEAT("heartbeat");

    private final String wireName;

    Operation(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Operation fromWireName(String name) {
        return Arrays.stream(values())
                .filter(op -> op.wireName.equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown pgmesh operation '" + name + "'"));
    }
}
