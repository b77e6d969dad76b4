package io.pgmesh.sink.apply;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.sink.pipeline.StatementPipeline;
import io.pgmesh.sink.progress.SinkProgress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * The replication-origin session of an apply connection. Every applied transaction runs under the
 * origin {@code pgmesh_<origin node>} with {@code pg_replication_origin_xact_setup(origin LSN,
 * origin commit time)}: PostgreSQL then stamps the written rows with the origin's commit time and
 * id, and the node's source tags the changes with their origin. Which transactions are applied is
 * kept in pgmesh.applied_origins, committed with them (see {@link SinkProgress}): PostgreSQL's own
 * origin progress also advances when a transaction that called xact_setup rolls back.
 */
public final class OriginSession {

    private final Connection connection;
    private final Map<NodeName, Lsn> progress = new HashMap<>();
    private NodeName current;

    public OriginSession(Connection connection) {
        this.connection = connection;
    }

    /**
     * The last origin LSN of {@code origin} applied on this node (committed), read once from
     * pgmesh.applied_origins and then kept up to date by {@link #applied}.
     */
    public Lsn progress(NodeName origin) throws SQLException {
        Lsn known = progress.get(origin);
        if (known != null) {
            return known;
        }
        Lsn value = SinkProgress.applied(connection, origin.value());
        progress.put(origin, value);
        return value;
    }

    /**
     * Starts the transaction of a change from {@code origin}, committed there at {@code lsn} and
     * {@code time}: binds the session to the origin now if needed (see {@link #boundTo}), and
     * queues the transaction's origin setup, the first statement of its transaction, in {@code pipeline}.
     */
    public void begin(NodeName origin, Lsn lsn, String commitTime, StatementPipeline pipeline) throws SQLException {
        if (!origin.equals(current)) {
            if (!pipeline.isEmpty()) {
                throw new IllegalStateException("the session changes origin only between exchanges");
            }
            switchTo(origin);
        }
        pipeline.add("SELECT pg_replication_origin_xact_setup(?::pg_lsn, ?::timestamptz)",
                a -> a.text(lsn.toString()).text(commitTime), null);
    }

    /**
     * Whether the session is bound to {@code origin}: if not, {@link #begin} binds it first, which
     * runs on the connection at once and so only when nothing is queued.
     */
    public boolean boundTo(NodeName origin) {
        return origin.equals(current);
    }

    /** The transaction of {@code origin} at {@code lsn} committed. */
    public void applied(NodeName origin, Lsn lsn) {
        progress.merge(origin, lsn, Lsn::max);
    }

    /** Forgets what was read: after a rollback or reconnect the database is the truth again. */
    public void forget() {
        progress.clear();
        current = null;
    }

    /** Binds the session to {@code origin}, creating the origin if needed; commits, between apply transactions. */
    private void switchTo(NodeName origin) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT pg_replication_origin_session_reset()"
                + " FROM pg_replication_origin_session_is_setup() AS x(is_setup) WHERE x.is_setup")) {
            s.execute();
        }
        current = null;
        try (PreparedStatement s = connection.prepareStatement("SELECT pg_replication_origin_create(?) WHERE NOT EXISTS"
                + " (SELECT 1 FROM pg_replication_origin WHERE roname = ?)")) {
            s.setString(1, origin.originName());
            s.setString(2, origin.originName());
            s.execute();
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            if (!"23505".equals(e.getSQLState())) {
                throw e;
            }
        }
        try (PreparedStatement s = connection.prepareStatement("SELECT pg_replication_origin_session_setup(?)")) {
            s.setString(1, origin.originName());
            s.execute();
        }
        connection.commit();
        current = origin;
    }
}
