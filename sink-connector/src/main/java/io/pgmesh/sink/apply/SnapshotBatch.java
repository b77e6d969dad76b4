package io.pgmesh.sink.apply;

import io.pgmesh.common.sql.SqlIdentifiers;
import io.pgmesh.sink.record.ChangeRecord;
import io.pgmesh.sink.schema.TargetTable;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Snapshot rows of one table, inserted by one statement: each row is inserted where the table has
 * neither that row nor a tombstone for it (nor a truncate marker), which is every row when a
 * snapshot fills an empty node. Those rows meet nothing, so last-update-wins has nothing to decide
 * and there is no conflict to log. The others come back from {@link #insert} for the row-by-row
 * statement, which decides and logs as for any change.
 *
 * <p>Values travel as one text array per column and are cast to the column's type, so PostgreSQL's
 * input functions parse them as for single rows. Not thread-safe.
 */
final class SnapshotBatch {

    /** Rows one statement carries at most. */
    static final int MAX_ROWS = 1000;

    /** A row waiting in the batch: its record and change, for the row-by-row path if it is not inserted. */
    record Row(ChangeRecord record, TargetTable table, RowChange change) {
    }

    private TargetTable table;
    private List<TargetTable.Column> columns;
    private final List<Row> rows = new ArrayList<>();

    /**
     * Whether {@code change} can go into a batch of {@code table}: an insert of every key column,
     * with no value left out as unchanged TOAST.
     */
    static boolean fits(TargetTable table, RowChange change, List<TargetTable.Column> columns) {
        if (!table.hasKey() || change.image() == null || !change.unchangedToast().isEmpty()) {
            return false;
        }
        List<String> names = columns.stream().map(TargetTable.Column::name).toList();
        return names.containsAll(table.keyColumns());
    }

    /** Whether the next row must start a new batch: another table or another set of columns. */
    boolean differsFrom(TargetTable next, List<TargetTable.Column> nextColumns) {
        return table != null && (table.relid() != next.relid() || !columns.equals(nextColumns));
    }

    void add(ChangeRecord record, TargetTable t, RowChange change, List<TargetTable.Column> cols) {
        if (differsFrom(t, cols)) {
            throw new IllegalStateException("a snapshot batch holds rows of one table and column set");
        }
        table = t;
        columns = cols;
        rows.add(new Row(record, t, change));
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    boolean isFull() {
        return rows.size() >= MAX_ROWS;
    }

    int size() {
        return rows.size();
    }

    void clear() {
        rows.clear();
        table = null;
        columns = null;
    }

    /** What the batch holds, for an error message. */
    String describe() {
        return rows.size() + " snapshot rows of " + table.id() + " inserted together, keys " + rows.get(0).change().key()
                + " to " + rows.get(rows.size() - 1).change().key();
    }

    /**
     * Inserts the rows that meet nothing and empties the batch.
     *
     * @return the rows not inserted, in their order, for the row-by-row statement
     */
    /** Prepares (or finds already prepared) a statement on a connection. */
    @FunctionalInterface
    interface Preparer {
        PreparedStatement prepare(Connection connection, String sql) throws SQLException;
    }

    List<Row> insert(Connection c, Preparer preparer) throws SQLException {
        PreparedStatement s = preparer.prepare(c, statement(table, columns));
        int i = 1;
        for (TargetTable.Column column : columns) {
            String[] values = new String[rows.size()];
            for (int r = 0; r < values.length; r++) {
                values[r] = rows.get(r).change().image().get(column.name()).value();
            }
            Array array = c.createArrayOf("text", values);
            s.setArray(i++, array);
        }
        s.setLong(i, table.relid());
        s.setLong(i + 1, table.relid());
        List<Row> left = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                left.add(rows.get(rs.getInt(1) - 1));
            }
        }
        clear();
        return left;
    }

    /**
     * The statement: {@code s} the rows as text with their ordinal, {@code cand} those with
     * neither a row nor a tombstone, {@code w} the insert, {@code chk} a second look for tombstones
     * of the inserted rows (pgmesh.no_tombstones: a local transaction may have inserted and deleted
     * such a row while the statement ran, which fails the apply for another attempt); it returns
     * the ordinals not inserted.
     */
    static String statement(TargetTable table, List<TargetTable.Column> columns) {
        List<String> aliases = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            aliases.add("c" + i);
        }
        String unnest = columns.stream().map(c -> "?::text[]").collect(Collectors.joining(", "));
        String keyMatch = table.keyColumns().stream()
                .map(k -> "t." + SqlIdentifiers.quote(k) + " = " + typed(table, columns, k, "s"))
                .collect(Collectors.joining(" AND "));
        String keyJson = "jsonb_build_object(" + table.keyColumns().stream()
                .map(k -> quoteLiteral(k) + "::text, to_jsonb(" + typed(table, columns, k, "s") + ")")
                .collect(Collectors.joining(", ")) + ")";
        String insertedKeyJson = "jsonb_build_object(" + table.keyColumns().stream()
                .map(k -> quoteLiteral(k) + "::text, to_jsonb(w." + SqlIdentifiers.quote(k) + ")")
                .collect(Collectors.joining(", ")) + ")";
        String inserted = table.keyColumns().stream()
                .map(k -> "w." + SqlIdentifiers.quote(k) + " = " + typed(table, columns, k, "s"))
                .collect(Collectors.joining(" AND "));
        List<String> values = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            values.add("cand.c" + i + "::" + columns.get(i).type());
        }
        return "WITH s AS (SELECT * FROM unnest(" + unnest + ") WITH ORDINALITY AS s(" + String.join(", ", aliases)
                + ", ord)), cand AS (SELECT s.* FROM s WHERE NOT EXISTS (SELECT 1 FROM " + table.id().quoted()
                + " AS t WHERE " + keyMatch + ") AND NOT EXISTS (SELECT 1 FROM pgmesh.tombstones AS d WHERE d.relid ="
                + " ?::oid AND d.key IN (" + keyJson + ", '\"truncate\"'::jsonb))), w AS (INSERT INTO "
                + table.id().quoted() + " (" + columns.stream().map(c -> SqlIdentifiers.quote(c.name()))
                .collect(Collectors.joining(", ")) + ") SELECT " + String.join(", ", values)
                + " FROM cand ON CONFLICT DO NOTHING RETURNING " + table.keyColumns().stream()
                .map(SqlIdentifiers::quote).collect(Collectors.joining(", ")) + "), chk AS (SELECT"
                + " pgmesh.no_tombstones(?::oid, array_agg(" + insertedKeyJson + ")) AS ok FROM w)"
                // chk is read whatever the rows are: by a branch of its own that never returns a row
                + " SELECT ord FROM (SELECT s.ord FROM s WHERE NOT EXISTS (SELECT 1 FROM w WHERE " + inserted + ")"
                + " UNION ALL SELECT NULL FROM chk WHERE NOT chk.ok) AS x ORDER BY ord";
    }

    /** Key column {@code k} of relation {@code alias} (s or cand), cast to its type. */
    private static String typed(TargetTable table, List<TargetTable.Column> columns, String k, String alias) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(k)) {
                return alias + ".c" + i + "::" + columns.get(i).type();
            }
        }
        throw new IllegalStateException("key column " + k + " of " + table.id() + " is not in the batch");
    }

    private static String quoteLiteral(String text) {
        return "'" + text.replace("'", "''") + "'";
    }
}
