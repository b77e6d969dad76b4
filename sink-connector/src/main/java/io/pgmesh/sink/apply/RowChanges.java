package io.pgmesh.sink.apply;

import io.pgmesh.common.envelope.ColumnValue;
import io.pgmesh.common.envelope.KeyColumn;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.common.envelope.RowImage;
import io.pgmesh.sink.conflict.ConflictJudge.Change;
import io.pgmesh.sink.record.ChangeRecord;
import io.pgmesh.sink.schema.TargetTable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * Reads a record into a {@link RowChange} for a target table: the row is identified by the
 * target's key columns, taken from the record's key (deletes), old key (updates that moved the
 * row) or new image.
 */
final class RowChanges {

    private RowChanges() {
    }

    static RowChange of(ChangeRecord record, TargetTable table) {
        Operation op = record.headers().op();
        if (op == Operation.DELETE) {
            Map<String, String> keyValues = byName(record.key().columns());
            return new RowChange(Change.DELETE, table.id(), keyOf(table, keyValues, "key"), null, null);
        }
        RowImage image = (RowImage) record.value();
        Map<String, ColumnValue> columns = new LinkedHashMap<>();
        image.columns().forEach(c -> columns.put(c.name(), c));
        Map<String, String> newValues = new LinkedHashMap<>();
        columns.forEach((name, c) -> newValues.put(name, c.value()));
        Map<String, String> key = table.hasKey() ? keyOf(table, newValues, "new row") : Map.of();
        Map<String, String> oldKey = null;
        if (op == Operation.UPDATE && image.oldKey() != null && table.hasKey()) {
            Map<String, String> old = new LinkedHashMap<>();
            image.oldKey().forEach(c -> old.put(c.name(), c.value()));
            oldKey = keyOf(table, old, "old key");
        }
        return new RowChange(op == Operation.INSERT ? Change.INSERT : Change.UPDATE, table.id(), key, oldKey, columns);
    }

    private static Map<String, String> byName(List<KeyColumn> columns) {
        Map<String, String> values = new LinkedHashMap<>();
        if (columns != null) {
            columns.forEach(c -> values.put(c.name(), c.value()));
        }
        return values;
    }

    private static Map<String, String> keyOf(TargetTable table, Map<String, String> values, String where) {
        Map<String, String> key = new LinkedHashMap<>();
        for (String column : table.keyColumns()) {
            if (!values.containsKey(column) || values.get(column) == null) {
                throw new ConnectException("Cannot identify the row of " + table.id() + ": its key on this node "
                        + table.keyColumns() + " is not in the change's " + where + " " + values.keySet()
                        + ". Give the table the same primary key (or replica identity) on every node.");
            }
            key.put(column, values.get(column));
        }
        return key;
    }
}
