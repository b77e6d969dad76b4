package io.pgmesh.sink.apply;

import io.pgmesh.common.envelope.ColumnValue;
import io.pgmesh.sink.conflict.ConflictJudge.Change;
import io.pgmesh.sink.conflict.Version;
import io.pgmesh.sink.pipeline.Arguments;
import io.pgmesh.sink.pipeline.PreparedShapes;
import io.pgmesh.sink.pipeline.StatementPipeline;
import io.pgmesh.sink.schema.TargetTable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * Applies remote row changes to their tables with last-update-wins, in the caller's transaction:
 * one statement per change (two or three for an update that moves the row to another key), sent
 * one at a time or queued in a {@link StatementPipeline} with the rest of their transaction.
 */
public final class ChangeApplier {

    /** What applying a change did: the results to judge, in order (a moved row has two), once its statements ran. */
    public static final class Applied {
        private final List<Part> parts = new ArrayList<>();

        public List<Part> parts() {
            return parts;
        }
    }

    /** One judged part of a change: the change as the judge sees it, against which key, and the result. */
    public record Part(Change change, Map<String, String> key, ApplyResult result) {
    }

    private final boolean withImage;
    private final Map<String, PreparedStatement> statements = new LinkedHashMap<>();
    /** The apply statements' shapes prepared on the current connection. */
    private PreparedShapes shapes;
    /**
     * Generated statements by table, kind and column set: a transaction mix repeats a few shapes,
     * and generating the text again was about a tenth of the sink thread's CPU time. Cleared with
     * the prepared statements (after DDL, a failure or a reconnect).
     */
    private final Map<Shape, Sql> generated = new HashMap<>();

    private enum Kind { UPSERT, UPDATE_EXISTING, DELETE }

    private record Shape(Kind kind, TargetTable table, List<TargetTable.Column> columns) {
    }

    /** @param withImage whether statements also return the local row's image (for the conflict log) */
    public ChangeApplier(boolean withImage) {
        this.withImage = withImage;
    }

    /** Applies one change now. */
    public Applied apply(Connection c, TargetTable table, RowChange change, Version remote) throws SQLException {
        StatementPipeline pipeline = new StatementPipeline();
        Applied applied = queue(pipeline, c, table, change, remote);
        execute(pipeline, c);
        return applied;
    }

    /** The shapes prepared on {@code c}: those of the last connection when it is still {@code c}. */
    public PreparedShapes shapes(Connection c) {
        shapes = PreparedShapes.of(shapes, c);
        return shapes;
    }

    /**
     * Adds the statements of one change to {@code pipeline}; the result is complete once the
     * pipeline ran. A key move that must copy unchanged TOASTed values from the old row runs what
     * is queued first, then reads them.
     */
    public Applied queue(StatementPipeline pipeline, Connection c, TargetTable table, RowChange change, Version remote)
            throws SQLException {
        Applied applied = new Applied();
        if (!table.hasKey()) {
            insertWithoutKey(pipeline, table, change, applied);
            return applied;
        }
        switch (change.change()) {
            case INSERT -> upsert(pipeline, applied, table, change.key(), change.image(), remote);
            case DELETE -> delete(pipeline, applied, table, change.key(), remote);
            case UPDATE -> {
                if (change.movesKey()) {
                    move(pipeline, applied, c, table, change, remote);
                } else {
                    update(pipeline, applied, table, change.key(), change.image(), remote);
                }
            }
        }
        return applied;
    }

    /** Runs what {@code pipeline} holds on {@code c}, with this applier's prepared statements. */
    public void execute(StatementPipeline pipeline, Connection c) throws SQLException {
        pipeline.execute(c, shapes(c));
    }

    private void upsert(StatementPipeline p, Applied applied, TargetTable table, Map<String, String> key,
                        Map<String, ColumnValue> image, Version remote) {
        List<TargetTable.Column> columns = columnsOf(table, image);
        add(p, applied, Change.INSERT, generate(Kind.UPSERT, table, columns), table, key, image, remote);
    }

    private void update(StatementPipeline p, Applied applied, TargetTable table, Map<String, String> key,
                        Map<String, ColumnValue> image, Version remote) {
        List<TargetTable.Column> columns = columnsOf(table, image);
        boolean partial = image.values().stream().anyMatch(ColumnValue::unchangedToast);
        Sql sql = generate(partial ? Kind.UPDATE_EXISTING : Kind.UPSERT, table, columns);
        add(p, applied, Change.UPDATE, sql, table, key, image, remote);
    }

    private void delete(StatementPipeline p, Applied applied, TargetTable table, Map<String, String> key,
                        Version remote) {
        add(p, applied, Change.DELETE, generate(Kind.DELETE, table, List.of()), table, key, Map.of(), remote);
    }

    private Sql generate(Kind kind, TargetTable table, List<TargetTable.Column> columns) {
        Shape shape = new Shape(kind, table, columns);
        Sql sql = generated.get(shape);
        if (sql == null) {
            sql = switch (kind) {
                case UPSERT -> ApplyStatements.upsert(table, columns, withImage);
                case UPDATE_EXISTING -> ApplyStatements.updateExisting(table, columns, withImage);
                case DELETE -> ApplyStatements.delete(table, withImage);
            };
            if (generated.size() >= 1024) {
                generated.clear();
            }
            generated.put(shape, sql);
        }
        return sql;
    }

    /**
     * An update that changed the key: the old key is deleted and the new one written, each by
     * last-update-wins on its own. Unchanged TOASTed values are carried over from the old row.
     */
    private void move(StatementPipeline p, Applied applied, Connection c, TargetTable table, RowChange change,
                      Version remote) throws SQLException {
        Map<String, ColumnValue> image = new LinkedHashMap<>(change.image());
        List<String> missing = change.unchangedToast();
        if (!missing.isEmpty()) {
            execute(p, c);
            Map<String, String> old = readColumns(c, table, change.oldKey(), missing);
            if (old != null) {
                old.forEach((name, value) -> image.put(name, ColumnValue.of(name, image.get(name).type(), value)));
            }
        }
        delete(p, applied, table, change.oldKey(), remote);
        update(p, applied, table, change.key(), image, remote);
    }

    private Map<String, String> readColumns(Connection c, TargetTable table, Map<String, String> key,
                                            List<String> columns) throws SQLException {
        Sql sql = ApplyStatements.readColumns(table, columns);
        StatementPipeline read = new StatementPipeline();
        Map<String, String> values = new HashMap<>();
        boolean[] found = new boolean[1];
        read.add(sql.text(), a -> bind(a, sql, table, key, Map.of(), null), rs -> {
            if (rs.next()) {
                found[0] = true;
                for (int i = 0; i < columns.size(); i++) {
                    values.put(columns.get(i), rs.getString(i + 1));
                }
            }
        });
        execute(read, c);
        return found[0] ? values : null;
    }

    /** A table without a key: inserts only; an update or delete cannot find its row. */
    private void insertWithoutKey(StatementPipeline p, TargetTable table, RowChange change, Applied applied) {
        if (change.change() != Change.INSERT) {
            throw new ConnectException("Cannot apply an " + change.change().name().toLowerCase(java.util.Locale.ROOT)
                    + " to " + table.id() + ": the table has no primary key or replica identity index on this node."
                    + " Give it one, or replicate it in an insert-only set.");
        }
        List<TargetTable.Column> columns = columnsOf(table, change.image());
        String sql = "INSERT INTO " + table.id().quoted() + " (" + String.join(", ", columns.stream()
                .map(col -> io.pgmesh.common.sql.SqlIdentifiers.quote(col.name())).toList()) + ") VALUES ("
                + String.join(", ", columns.stream().map(col -> "?::" + col.type()).toList()) + ")";
        p.add(sql, a -> {
            for (TargetTable.Column column : columns) {
                a.text(change.image().get(column.name()).value());
            }
        }, null);
        applied.parts.add(new Part(Change.INSERT, change.key(), new ApplyResult(null, null, true, null)));
    }

    /** Queues one last-update-wins statement; its one result row becomes a part of {@code applied}. */
    private static void add(StatementPipeline p, Applied applied, Change kind, Sql sql, TargetTable table,
                            Map<String, String> key, Map<String, ColumnValue> image, Version remote) {
        p.add(sql.text(), a -> bind(a, sql, table, key, image, remote), rs -> {
            rs.next();
            applied.parts.add(new Part(kind, key, ApplyResult.read(rs)));
        });
    }

    private static void bind(Arguments a, Sql sql, TargetTable table, Map<String, String> key,
                             Map<String, ColumnValue> image, Version remote) {
        for (Param p : sql.params()) {
            if (p instanceof Param.RemoteTime) {
                a.text(remote.timestamptz());
            } else if (p instanceof Param.RemoteNode) {
                a.text(remote.node());
            } else if (p instanceof Param.Relid) {
                a.number(table.relid());
            } else if (p instanceof Param.Key k) {
                a.text(key.get(k.column()));
            } else if (p instanceof Param.Value v) {
                a.text(image.get(v.column()).value());
            } else if (p instanceof Param.Constant constant) {
                a.text(constant.text());
            }
        }
    }

    /** The image's columns that the table has (generated columns are never written), in table order. */
    static List<TargetTable.Column> columnsOf(TargetTable table, Map<String, ColumnValue> image) {
        for (String name : image.keySet()) {
            if (table.column(name).isEmpty()) {
                throw new MissingColumnException(table, name);
            }
        }
        List<TargetTable.Column> columns = new ArrayList<>();
        for (TargetTable.Column column : table.columns()) {
            ColumnValue value = image.get(column.name());
            if (value != null && !value.unchangedToast() && !column.generated()) {
                columns.add(column);
            }
        }
        return columns;
    }

    PreparedStatement prepare(Connection c, String sql) throws SQLException {
        PreparedStatement s = statements.get(sql);
        if (s == null || s.isClosed()) {
            if (statements.size() >= 256) {
                closeStatements();
            }
            s = c.prepareStatement(sql);
            statements.put(sql, s);
        }
        return s;
    }

    /** Closes every cached statement (after a failure, or when the connection goes). */
    public void closeStatements() {
        for (PreparedStatement s : statements.values()) {
            try {
                s.close();
            } catch (SQLException ignored) {
                // the connection may already be gone; nothing else holds the statement
            }
        }
        statements.clear();
        generated.clear();
        if (shapes != null) {
            shapes.clear();
        }
    }
}
