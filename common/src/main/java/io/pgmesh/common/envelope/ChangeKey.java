package io.pgmesh.common.envelope;

import io.pgmesh.common.TableId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;

/**
 * The key of a node-topic record. A row's key is its table and replica-identity values, so
 * compaction keeps the latest image of every row. Records that are not about one identifiable row
 * (truncates, messages, rows of tables without a replica identity) carry a unique {@code id} so
 * compaction keeps each of them; a heartbeat's id is its node, so only the newest is kept.
 */
public record ChangeKey(Kind kind, TableId table, List<KeyColumn> columns, String id) {

    /** What the key identifies. */
    public enum Kind {
        ROW("row"), TRUNCATE("truncate"), MESSAGE("message"), HEARTBEAT("heartbeat");

        private final String wireName;

        Kind(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }

        static Kind fromWireName(String name) {
            for (Kind kind : values()) {
                if (kind.wireName.equals(name)) {
                    return kind;
                }
            }
            throw new DataException("unknown pgmesh key kind '" + name + "'");
        }
    }

    public ChangeKey {
        Objects.requireNonNull(kind, "kind");
        columns = columns == null ? null : List.copyOf(columns);
        if (kind == Kind.ROW && table == null) {
            throw new IllegalArgumentException("a row key needs a table");
        }
        if ((columns == null || columns.isEmpty()) && id == null) {
            throw new IllegalArgumentException("a key needs replica-identity columns or an id");
        }
    }

    /** A row of a table with a replica identity. */
    public static ChangeKey row(TableId table, List<KeyColumn> identity) {
        if (identity.isEmpty()) {
            throw new IllegalArgumentException("a row key needs at least one identity column");
        }
        return new ChangeKey(Kind.ROW, table, identity, null);
    }

    /** A row of a table without a replica identity: unique, never compacted away. */
    public static ChangeKey unidentifiedRow(TableId table, String uniqueId) {
        return new ChangeKey(Kind.ROW, table, null, Objects.requireNonNull(uniqueId));
    }

    public static ChangeKey truncate(TableId table, String uniqueId) {
        return new ChangeKey(Kind.TRUNCATE, table, null, Objects.requireNonNull(uniqueId));
    }

    public static ChangeKey message(String uniqueId) {
        return new ChangeKey(Kind.MESSAGE, null, null, Objects.requireNonNull(uniqueId));
    }

    public static ChangeKey heartbeat(String node) {
        return new ChangeKey(Kind.HEARTBEAT, null, null, Objects.requireNonNull(node));
    }

    public Struct toStruct() {
        Struct struct = new Struct(EnvelopeSchemas.KEY)
                .put("kind", kind.wireName())
                .put("id", id);
        if (table != null) {
            struct.put("schema", table.schema()).put("table", table.table());
        }
        if (columns != null) {
            List<Struct> cols = new ArrayList<>(columns.size());
            for (KeyColumn c : columns) {
                cols.add(new Struct(EnvelopeSchemas.KEY_COLUMN).put("name", c.name()).put("value", c.value()));
            }
            struct.put("columns", cols);
        }
        return struct;
    }

    /** Reads a key as a converter delivers it: a {@link Struct}, or a map from schemaless JSON. */
    public static ChangeKey fromConnect(Object key) {
        Kind kind = Kind.fromWireName(ConnectFields.requiredString(key, "kind"));
        String schema = ConnectFields.string(key, "schema");
        String table = ConnectFields.string(key, "table");
        List<?> rawColumns = ConnectFields.list(key, "columns");
        List<KeyColumn> columns = null;
        if (rawColumns != null) {
            columns = new ArrayList<>(rawColumns.size());
            for (Object c : rawColumns) {
                columns.add(new KeyColumn(ConnectFields.requiredString(c, "name"), ConnectFields.string(c, "value")));
            }
        }
        TableId tableId = schema == null && table == null ? null : new TableId(schema, table);
        try {
            return new ChangeKey(kind, tableId, columns, ConnectFields.string(key, "id"));
        } catch (IllegalArgumentException e) {
            throw new DataException("invalid pgmesh key: " + e.getMessage(), e);
        }
    }
}
