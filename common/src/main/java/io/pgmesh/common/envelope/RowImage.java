package io.pgmesh.common.envelope;

import java.util.List;
import java.util.Objects;
import io.pgmesh.common.TableId;
import org.apache.kafka.connect.data.Struct;

/**
 * An inserted or updated row: the new image, and for an update that changed the replica identity
 * (or a table with REPLICA IDENTITY FULL) the old identity values in {@code oldKey}.
 */
public record RowImage(Operation op, TableId table, List<ColumnValue> columns, List<ColumnValue> oldKey)
        implements ChangeValue {

    public RowImage {
        if (op != Operation.INSERT && op != Operation.UPDATE) {
            throw new IllegalArgumentException("a row image is an insert or an update, not " + op);
        }
        Objects.requireNonNull(table, "table");
        columns = List.copyOf(Objects.requireNonNull(columns, "columns"));
        oldKey = oldKey == null ? null : List.copyOf(oldKey);
    }

    @Override
    public Operation operation() {
        return op;
    }

    @Override
    public Struct toStruct() {
        Struct struct = new Struct(EnvelopeSchemas.VALUE)
                .put("op", op.wireName())
                .put("schema", table.schema())
                .put("table", table.table())
                .put("columns", ChangeValue.columnStructs(columns));
        if (oldKey != null) {
            struct.put("old_key", ChangeValue.columnStructs(oldKey));
        }
        return struct;
    }
}
