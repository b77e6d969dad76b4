package io.pgmesh.sink.pipeline;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Statements that go to PostgreSQL in one exchange: each statement shape is prepared once per
 * connection ({@link PreparedShapes}), and the exchange is one text of {@code EXECUTE
 * name(literals)} and plain statements ({@code COMMIT}, {@code BEGIN}) that pgjdbc sends in one
 * go, with one Sync, reading the results afterwards. So many transactions of many statements cost
 * one round trip. The statements run in order; the first that fails makes PostgreSQL skip the rest
 * of the exchange: what committed before it stays committed, the transaction it was in is left
 * failed for the caller to roll back.
 *
 * <p>Results are handed to each statement's reader once {@link #execute} ran. Not thread-safe.
 */
public final class StatementPipeline {

    /** Writes a statement's arguments, in the order of its {@code ?}. */
    @FunctionalInterface
    public interface Binder {
        void bind(Arguments arguments);
    }

    /** Reads the rows a statement returned. */
    @FunctionalInterface
    public interface Reader {
        void read(ResultSet rows) throws SQLException;
    }

    /** A statement: a shape to execute with {@code arguments}, or, with none, text sent as it is. */
    private record Part(String sql, Arguments arguments, Reader reader, int bytes) {
    }

    private final List<Part> parts = new ArrayList<>();
    private long bytes;

    /**
     * Adds a statement.
     *
     * @param sql    one statement, with a {@code ?} per argument
     * @param reader what to do with the rows it returns; null for a statement that returns none or
     *               whose rows do not matter
     */
    public void add(String sql, Binder binder, Reader reader) {
        Arguments arguments = new Arguments();
        binder.bind(arguments);
        int size = arguments.length() + 24;
        parts.add(new Part(sql, arguments, reader, size));
        bytes += size;
    }

    /** Adds a statement without arguments or results, sent as it is (such as COMMIT or BEGIN). */
    public void add(String sql) {
        parts.add(new Part(sql, null, null, sql.length() + 2));
        bytes += sql.length() + 2;
    }

    /** The statements queued, in order, as written (before their arguments are bound): for logs and tests. */
    public List<String> statements() {
        return parts.stream().map(Part::sql).toList();
    }

    public int size() {
        return parts.size();
    }

    public boolean isEmpty() {
        return parts.isEmpty();
    }

    /** About how many bytes the exchange's text holds. */
    public long bytes() {
        return bytes;
    }

    /** Forgets the statements added after the first {@code size} (a transaction given up before it was sent). */
    public void truncate(int size) {
        takeFrom(size);
    }

    /** Takes the statements from {@code index} on out of this pipeline, into a new one. */
    public StatementPipeline takeFrom(int index) {
        StatementPipeline rest = new StatementPipeline();
        List<Part> tail = parts.subList(index, parts.size());
        for (Part p : tail) {
            rest.parts.add(p);
            rest.bytes += p.bytes();
        }
        bytes -= rest.bytes;
        tail.clear();
        return rest;
    }

    /** Queues {@code other}'s statements after these, leaving {@code other} empty. */
    public void append(StatementPipeline other) {
        parts.addAll(other.parts);
        bytes += other.bytes;
        other.clear();
    }

    /** Forgets the statements not run yet (after a failure). */
    public void clear() {
        parts.clear();
        bytes = 0;
    }

    /** Runs every statement added since the last run, in one exchange, and hands out their results. */
    public void execute(Connection connection, PreparedShapes shapes) throws SQLException {
        if (parts.isEmpty()) {
            return;
        }
        List<Part> running = List.copyOf(parts);
        clear();
        StringBuilder text = new StringBuilder();
        for (Part p : running) {
            if (!text.isEmpty()) {
                text.append(";\n");
            }
            if (p.arguments() == null) {
                text.append(p.sql());
            } else {
                text.append("EXECUTE ").append(shapes.nameOf(p.sql(), p.arguments().kinds()));
                if (p.arguments().size() > 0) {
                    text.append('(').append(p.arguments().literals()).append(')');
                }
            }
        }
        try (Statement statement = connection.createStatement()) {
            statement.setEscapeProcessing(false);
            boolean rows = statement.execute(text.toString());
            for (Part p : running) {
                if (rows) {
                    try (ResultSet rs = statement.getResultSet()) {
                        if (p.reader() != null) {
                            p.reader().read(rs);
                        }
                    }
                } else if (p.reader() != null) {
                    throw new IllegalStateException("statement returned no rows: " + p.sql());
                }
                rows = statement.getMoreResults();
            }
        }
    }
}
