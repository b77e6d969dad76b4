package io.pgmesh.sink.apply;

import io.pgmesh.common.sql.PostgresConnector;
import io.pgmesh.sink.config.PgmeshSinkConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** Opens the connections the sink applies on. */
public final class ApplyConnections {

    private ApplyConnections() {
    }

    /**
     * A connection set up as PostgreSQL's own apply workers are: {@code session_replication_role =
     * replica} (ordinary triggers and foreign keys already ran on the origin), {@code search_path =
     * pg_catalog}, UTC; transactions are the caller's (autocommit off); an answer is waited for at
     * most {@code apply.network.timeout.ms}.
     */
    public static Connection open(PostgresConnector connector, PgmeshSinkConfig config) throws SQLException {
        Connection c = connector.open("pgmesh-sink-" + config.nodeName(),
                "-c search_path=pg_catalog -c TimeZone=UTC -c bytea_output=hex");
        try (Statement s = c.createStatement()) {
            s.execute("SET session_replication_role = replica");
            s.execute("SET synchronous_commit = " + (config.synchronousCommit() ? "on" : "off"));
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        c.setAutoCommit(false);
        // every statement's answer is waited for within a bound, so a server that stopped answering
        // fails the attempt (retried) instead of holding the task thread, and its stop, for ever
        c.setNetworkTimeout(Runnable::run, (int) Math.min(Integer.MAX_VALUE, config.applyNetworkTimeout().toMillis()));
        return c;
    }
}
