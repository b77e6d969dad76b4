package io.pgmesh.common.sql;

import java.io.IOException;
import java.sql.SQLException;
import java.util.Map;

/**
 * The one place that decides, from a failure's SQLSTATE, whether retrying can help and what the
 * operator should do. Retriable: lost connections, server shutdowns, serialization failures,
 * deadlocks, lock and resource contention, objects in use. Everything else is permanent: retrying
 * an authentication failure or a syntax error only hides it.
 */
public final class SqlStateClassifier {

    /** What a failure is: worth retrying, or needing a person. */
    public enum Kind { RETRIABLE, PERMANENT }

    /** A classified failure: its kind, its SQLSTATE (may be empty) and advice for the operator. */
    public record Classification(Kind kind, String sqlState, String advice) {
        public boolean retriable() {
            return kind == Kind.RETRIABLE;
        }
    }

    private static final Map<String, String> EXACT_ADVICE = Map.ofEntries(
            Map.entry("28P01", "check database.user and database.password"),
            Map.entry("28000", "check database.user and the server's pg_hba.conf"),
            Map.entry("3D000", "check database.name: the database does not exist"),
            Map.entry("42501", "grant the role the privilege named in the message, or use a role that has it"),
            Map.entry("42704", "an object the connector needs is missing; see the message"),
            Map.entry("55000", "the server is not configured as pgmesh needs; see the message"),
            Map.entry("55006", "the object is in use by another session (for example an active replication slot); retrying"),
            Map.entry("40001", "serialization failure; retrying"),
            Map.entry("40P01", "deadlock detected; retrying"),
            Map.entry("55P03", "lock not available; retrying"),
            Map.entry("57014", "statement cancelled (timeout or operator); retrying"));

    private SqlStateClassifier() {
    }

    public static Classification classify(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return new Classification(kindOf(state, e), state, adviceFor(state));
    }

    /**
     * Whether the server refused the data itself (SQLSTATE classes 22 data exception, 23
     * integrity constraint violation, 44 check option violation, P0 raised by PL/pgSQL, as a
     * trigger does): the errors an apply-error policy may set a change aside for. Privileges,
     * missing objects and the like are not: setting changes aside for them would drop every later one.
     */
    public static boolean refusedData(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return state.startsWith("22") || state.startsWith("23") || state.startsWith("44") || state.startsWith("P0");
    }

    private static Kind kindOf(String state, SQLException e) {
        if (state.isEmpty()) {
            return e.getCause() instanceof IOException ? Kind.RETRIABLE : Kind.PERMANENT;
        }
        if (state.startsWith("08") || state.startsWith("53") || state.startsWith("57P")) {
            return Kind.RETRIABLE;
        }
        return switch (state) {
            case "40001", "40P01", "55P03", "55006", "57014" -> Kind.RETRIABLE;
            default -> Kind.PERMANENT;
        };
    }

    private static String adviceFor(String state) {
        String exact = EXACT_ADVICE.get(state);
        if (exact != null) {
            return exact;
        }
        if (state.startsWith("08")) {
            return "cannot reach the database; check database.host, database.port and that the server is up; retrying";
        }
        if (state.startsWith("53")) {
            return "the server is out of a resource (connections, memory or disk); retrying";
        }
        if (state.startsWith("57P")) {
            return "the server is shutting down or starting up; retrying";
        }
        if (state.startsWith("28")) {
            return "authentication failed; check database.user and database.password";
        }
        if (state.startsWith("42")) {
            return "the statement refers to something missing or is not allowed; see the message";
        }
        if (state.startsWith("22") || state.startsWith("23")) {
            return "the data was refused by the server; see the message";
        }
        return "see the message";
    }
}
