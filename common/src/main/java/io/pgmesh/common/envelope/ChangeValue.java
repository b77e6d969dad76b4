package io.pgmesh.common.envelope;

import io.pgmesh.common.TableId;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;

/**
 * The value of a node-topic record. A row delete has no value (a tombstone); everything else is one
 * of these, written with the one fixed {@link EnvelopeSchemas#VALUE} schema.
 */
public sealed interface ChangeValue permits RowImage, Truncation, LogicalMessage {

    Operation operation();

    Struct toStruct();

    /** Reads a value as a converter delivers it: a {@link Struct}, or a map from schemaless JSON. */
    static ChangeValue fromConnect(Object value) {
        try {
            return parse(value);
        } catch (IllegalArgumentException e) {
            throw new DataException("invalid pgmesh value: " + e.getMessage(), e);
        }
    }

    private static ChangeValue parse(Object value) {
        Operation op = Operation.fromWireName(ConnectFields.requiredString(value, "op"));
        return switch (op) {
            case INSERT, UPDATE -> new RowImage(op, table(value),
                    columns(value, "columns"), columns(value, "old_key"));
            case TRUNCATE -> new Truncation(table(value),
                    ConnectFields.bool(value, "truncate_cascade"),
                    ConnectFields.bool(value, "truncate_restart_identity"));
            case MESSAGE, HEARTBEAT -> new LogicalMessage(
                    ConnectFields.requiredString(value, "message_prefix"),
                    ConnectFields.bytes(value, "message_content"),
                    ConnectFields.bool(value, "message_transactional"));
            case DELETE -> throw new DataException("a delete travels as a tombstone, never as a value");
        };
    }

    private static TableId table(Object value) {
        return new TableId(ConnectFields.requiredString(value, "schema"),
                ConnectFields.requiredString(value, "table"));
    }

    private static List<ColumnValue> columns(Object value, String field) {
        List<?> raw = ConnectFields.list(value, field);
        if (raw == null) {
            return null;
        }
        List<ColumnValue> columns = new ArrayList<>(raw.size());
        for (Object c : raw) {
            columns.add(new ColumnValue(ConnectFields.requiredString(c, "name"),
                    ConnectFields.requiredString(c, "type"),
                    ConnectFields.string(c, "value"),
                    ConnectFields.bool(c, "unchanged_toast")));
        }
        return columns;
    }

    static List<Struct> columnStructs(List<ColumnValue> columns) {
        List<Struct> structs = new ArrayList<>(columns.size());
        for (ColumnValue c : columns) {
            structs.add(new Struct(EnvelopeSchemas.COLUMN)
                    .put("name", c.name())
                    .put("type", c.type())
                    .put("value", c.value())
                    .put("unchanged_toast", c.unchangedToast()));
        }
        return structs;
    }
}
