package io.pgmesh.sink.apply;

import io.pgmesh.sink.schema.TargetTable;

/** A change carries a column the target table does not have. */
public class MissingColumnException extends SchemaMismatchException {

    private static final long serialVersionUID = 1L;

    public MissingColumnException(TargetTable table, String column) {
        super("Column \"" + column + "\" of " + table.id() + " does not exist on this node. Add the column (or"
                + " replicate the DDL that added it); the sink retries, and nothing after this change was applied.");
    }
}
