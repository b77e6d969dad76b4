package io.pgmesh.common;

/**
 * The schema pgmesh keeps its own objects in on every node (tombstones, conflict log, replication
 * sets, the DDL trigger). Its tables are node-local bookkeeping: the source never captures them.
 */
public final class InternalSchema {

    public static final String NAME = "pgmesh";

    private InternalSchema() {
    }

    public static boolean contains(TableId table) {
        return NAME.equals(table.schema());
    }
}
