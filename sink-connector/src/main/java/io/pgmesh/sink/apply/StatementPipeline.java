package io.pgmesh.sink.apply;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * Statements of one apply transaction that go to PostgreSQL in one round trip. pgjdbc sends the
 * parts of a multi-statement prepared statement one after the other and reads their results
 * afterwards, so a transaction of a few rows costs one round trip for its writes, not one per row.
 * The parts run in order, in the connection's transaction; the first that fails fails the lot
 * (PostgreSQL skips the rest), and the caller rolls the transaction back as before.
 *
 * <p>Results are handed to each part's reader once {@link #execute} ran. Not thread-safe.
 */
public final class StatementPipeline {

    /** Binds a part's parameters, the first at index {@code first} of the combined statement. */
    @FunctionalInterface
    public interface Binder {
        void bind(PreparedStatement statement, int first) throws SQLException;
    }

    /** Reads the rows a part returned. */
    @FunctionalInterface
    public interface Reader {
        void read(ResultSet rows) throws SQLException;
    }

    /** Prepares (or finds already prepared) a statement on a connection. */
    @FunctionalInterface
    public interface Preparer {
        PreparedStatement prepare(Connection connection, String sql) throws SQLException;
    }

    private record Part(String sql, int parameters, Binder binder, Reader reader) {
    }

    private final List<Part> parts = new ArrayList<>();
    /** The statements of the last run and their combined text: transactions of one shape reuse it as it is. */
    private List<String> lastStatements = List.of();
    private String lastText;

    /**
     * Adds a statement (one; pgjdbc splits the combined text at the semicolons outside quotes).
     *
     * @param parameters how many {@code ?} it has
     * @param reader     what to do with the rows it returns; null for a statement that returns none
     *                   or whose rows do not matter
     */
    public void add(String sql, int parameters, Binder binder, Reader reader) {
        parts.add(new Part(sql, parameters, binder, reader));
    }

    public int size() {
        return parts.size();
    }

    public boolean isEmpty() {
        return parts.isEmpty();
    }

    /** Forgets the statements not run yet (after a failure). */
    public void clear() {
        parts.clear();
    }

    private String combinedText(List<Part> running) {
        boolean same = running.size() == lastStatements.size();
        for (int i = 0; same && i < running.size(); i++) {
            same = running.get(i).sql().equals(lastStatements.get(i));
        }
        if (!same) {
            StringJoiner text = new StringJoiner(";\n");
            List<String> statements = new ArrayList<>(running.size());
            for (Part p : running) {
                text.add(p.sql());
                statements.add(p.sql());
            }
            lastStatements = statements;
            lastText = text.toString();
        }
        return lastText;
    }

    /** Runs every statement added since the last run, in one round trip, and hands out their results. */
    public void execute(Connection connection, Preparer preparer) throws SQLException {
        if (parts.isEmpty()) {
            return;
        }
        List<Part> running = List.copyOf(parts);
        parts.clear();
        PreparedStatement statement = preparer.prepare(connection, combinedText(running));
        int next = 1;
        for (Part p : running) {
            p.binder().bind(statement, next);
            next += p.parameters();
        }
        boolean rows = statement.execute();
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
