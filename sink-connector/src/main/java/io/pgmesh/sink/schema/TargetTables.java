package io.pgmesh.sink.schema;

import io.pgmesh.common.TableId;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The node's tables as the sink needs them, read from the catalog on first use and cached until
 * a failure suggests the table changed. The connection must use {@code search_path=pg_catalog} so
 * {@code format_type} qualifies every type outside pg_catalog.
 */
public final class TargetTables {

    private static final String COLUMNS = """
            SELECT c.oid, a.attname, format_type(a.atttypid, a.atttypmod), a.attgenerated <> '',
                   pgmesh.key_columns(c.oid)
            FROM pg_class AS c
            JOIN pg_namespace AS n ON n.oid = c.relnamespace
            JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')
            ORDER BY a.attnum""";

    private final Map<TableId, TargetTable> cache = new HashMap<>();

    /** The table, or empty when it does not exist on this node. */
    public Optional<TargetTable> find(Connection c, TableId id) throws SQLException {
        TargetTable cached = cache.get(id);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<TargetTable> loaded = load(c, id);
        loaded.ifPresent(t -> cache.put(id, t));
        return loaded;
    }

    public void forget(TableId id) {
        cache.remove(id);
    }

    public void forgetAll() {
        cache.clear();
    }

    private static Optional<TargetTable> load(Connection c, TableId id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(COLUMNS)) {
            s.setString(1, id.schema());
            s.setString(2, id.table());
            try (ResultSet rs = s.executeQuery()) {
                long relid = 0;
                List<TargetTable.Column> columns = new ArrayList<>();
                List<String> key = List.of();
                while (rs.next()) {
                    relid = rs.getLong(1);
                    columns.add(new TargetTable.Column(rs.getString(2), rs.getString(3), rs.getBoolean(4)));
                    key = keyColumns(rs.getArray(5));
                }
                return columns.isEmpty() ? Optional.empty() : Optional.of(new TargetTable(id, relid, columns, key));
            }
        }
    }

    private static List<String> keyColumns(Array array) throws SQLException {
        if (array == null) {
            return List.of();
        }
        return List.of((String[]) array.getArray());
    }
}
