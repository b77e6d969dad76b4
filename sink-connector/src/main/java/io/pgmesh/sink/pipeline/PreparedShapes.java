package io.pgmesh.sink.pipeline;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The statement shapes prepared on one connection with SQL {@code PREPARE}, by text and parameter
 * types: each is parsed and planned once per connection, and a {@link StatementPipeline} sends
 * only {@code EXECUTE name(literals)}, whatever mix of shapes an exchange holds. At most
 * {@value #MAX} are kept; the least recently used is deallocated beyond that. The names
 * ({@code pgmesh_<n>}) do not collide with pgjdbc's own ({@code S_<n>}). Not thread-safe.
 */
public final class PreparedShapes {

    static final int MAX = 512;

    private record Shape(String sql, List<Arguments.Kind> kinds) {
    }

    private final Connection connection;
    private final Map<Shape, String> names = new LinkedHashMap<>(16, 0.75f, true);
    /** Names forgotten but still prepared on the server: deallocated before the next PREPARE. */
    private final List<String> retired = new ArrayList<>();
    private int next;

    private PreparedShapes(Connection connection) {
        this.connection = connection;
    }

    /** {@code current} when it belongs to {@code connection}, else a new, empty set for it. */
    public static PreparedShapes of(PreparedShapes current, Connection connection) {
        return current != null && current.connection == connection ? current : new PreparedShapes(connection);
    }

    /** The name {@code sql} with these parameter kinds is prepared under; prepares it first when new (one round trip). */
    String nameOf(String sql, List<Arguments.Kind> kinds) throws SQLException {
        Shape shape = new Shape(sql, kinds);
        String name = names.get(shape);
        if (name != null) {
            return name;
        }
        var eldest = names.entrySet().iterator();
        while (names.size() >= MAX && eldest.hasNext()) {
            retired.add(eldest.next().getValue());
            eldest.remove();
        }
        deallocateRetired();
        name = "pgmesh_" + (++next);
        StringBuilder text = new StringBuilder("PREPARE ").append(name);
        if (!kinds.isEmpty()) {
            text.append('(').append(String.join(", ", kinds.stream().map(k -> k.type).toList())).append(')');
        }
        text.append(" AS ").append(numbered(sql));
        try (Statement s = connection.createStatement()) {
            s.setEscapeProcessing(false);
            s.execute(text.toString());
        }
        names.put(shape, name);
        return name;
    }

    /**
     * Deallocates the retired names, ahead of a PREPARE (so in the transaction that needs a new
     * shape, whose failure is the apply's failure). Whatever happens, they are forgotten: after a
     * failure some may be left on the server, unused (new names never reuse them), rather than
     * deallocated twice, which would fail every attempt after it.
     */
    private void deallocateRetired() throws SQLException {
        if (retired.isEmpty()) {
            return;
        }
        StringBuilder text = new StringBuilder();
        for (String old : retired) {
            text.append("DEALLOCATE ").append(old).append(";\n");
        }
        retired.clear();
        try (Statement s = connection.createStatement()) {
            s.setEscapeProcessing(false);
            s.execute(text.toString());
        }
    }

    /**
     * Forgets every shape, after DDL changed the tables: they are deallocated with the next
     * PREPARE, not now, so that nothing runs in the DDL's transaction that could abort it.
     */
    public void clear() {
        retired.addAll(names.values());
        names.clear();
    }

    public int size() {
        return names.size();
    }

    /** {@code sql} with its {@code ?} numbered {@code $1, $2, ...}, leaving quoted strings and identifiers alone. */
    static String numbered(String sql) {
        StringBuilder out = new StringBuilder(sql.length() + 16);
        int n = 0;
        char quote = 0;
        for (int i = 0; i < sql.length(); i++) {
            char c = sql.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '?') {
                out.append('$').append(++n);
                continue;
            }
            out.append(c);
        }
        return out.toString();
    }
}
