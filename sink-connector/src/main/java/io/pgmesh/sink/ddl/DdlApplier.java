package io.pgmesh.sink.ddl;

import io.pgmesh.common.envelope.DdlCommand;
import io.pgmesh.common.sql.SqlIdentifiers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * Runs a replicated DDL statement in the caller's apply transaction, as the origin ran it: with
 * the origin session's {@code search_path}, as the origin's role, then puts the apply session's
 * settings back. The apply session is a replication-origin session with
 * {@code session_replication_role = replica}, so pgmesh's capture trigger does not fire and the
 * statement is not replicated again; pgmesh's table tracking does, so a new table gets its
 * triggers and replication set here too.
 */
public final class DdlApplier {

    private static final String ROLE = """
            SELECT r.rolname = current_user, pg_has_role(current_user, r.oid, 'MEMBER')
            FROM pg_roles AS r WHERE r.rolname = ?""";

    private DdlApplier() {
    }

    /**
     * @throws ConnectException when the origin's role does not exist here, or the sink's role may
     *                          not act as it: a person must fix that
     * @throws SQLException     when the statement fails
     */
    public static void apply(Connection c, DdlCommand ddl) throws SQLException {
        boolean switchRole = mustSwitchTo(c, ddl.role());
        try (PreparedStatement path = c.prepareStatement("SELECT set_config('search_path', ?, true)")) {
            path.setString(1, ddl.searchPath());
            path.execute();
        }
        int networkTimeout = c.getNetworkTimeout();
        try (Statement s = c.createStatement()) {
            if (switchRole) {
                s.execute("SET LOCAL ROLE " + SqlIdentifiers.quote(ddl.role()));
            }
            // a replicated DDL statement (an index on a large table, say) may rightly take longer
            // than the sink waits for an answer otherwise
            c.setNetworkTimeout(Runnable::run, 0);
            s.execute(TransactionalDdl.of(ddl.sql()));
            c.setNetworkTimeout(Runnable::run, networkTimeout);
            if (switchRole) {
                s.execute("SET LOCAL ROLE NONE");
            }
            s.execute("SELECT set_config('search_path', 'pg_catalog', true)");
        } finally {
            if (!c.isClosed()) {
                c.setNetworkTimeout(Runnable::run, networkTimeout);
            }
        }
    }

    /**
     * Writes the applied statement's message again in the apply transaction, so this node's topic
     * carries it as a forwarded copy (see pgmesh.forward_ddl).
     */
    public static void forward(Connection c, byte[] message) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pgmesh.forward_ddl(?)")) {
            s.setString(1, new String(message, java.nio.charset.StandardCharsets.UTF_8));
            s.execute();
        }
    }

    private static boolean mustSwitchTo(Connection c, String role) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(ROLE)) {
            s.setString(1, role);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    throw new ConnectException("Role " + SqlIdentifiers.quote(role) + ", which ran this DDL on its"
                            + " origin, does not exist on this node: roles are not replicated. Create it here with the"
                            + " same rights, then restart the task.");
                }
                if (rs.getBoolean(1)) {
                    return false;
                }
                if (!rs.getBoolean(2)) {
                    throw new ConnectException("The sink's role may not act as role " + SqlIdentifiers.quote(role)
                            + ", which ran this DDL on its origin: GRANT " + SqlIdentifiers.quote(role) + " TO the"
                            + " sink's role (or run the sink as a superuser), then restart the task.");
                }
                return true;
            }
        }
    }
}
