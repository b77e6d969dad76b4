package io.pgmesh.sink.apply;

import io.pgmesh.common.sql.PostgresConnector;
import io.pgmesh.sink.config.PgmeshSinkConfig;
import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection one partition applies on, and its replication-origin session: opened when first
 * needed, replaced when found closed, dropped quietly when broken, and aborted (without waiting for
 * the server) when the partition goes. Whoever holds state bound to the connection (prepared
 * statements, a position read through it) is told each time it is opened or goes.
 */
final class PartitionConnection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PartitionConnection.class);

    private final PostgresConnector connector;
    private final PgmeshSinkConfig config;
    /** Runs when a connection is opened, and when one goes. */
    private final Runnable replaced;
    private Connection connection;
    private OriginSession session;
    private OriginNodes origins;

    PartitionConnection(PgmeshSinkConfig config, Runnable replaced) {
        this.connector = new PostgresConnector(config.database());
        this.config = config;
        this.replaced = replaced;
    }

    /** The open connection, opened (again) when there is none or it was found closed. */
    Connection get() throws SQLException {
        if (connection != null && connection.isClosed()) {
            drop();
        }
        if (connection == null) {
            connection = ApplyConnections.open(connector, config);
            session = new OriginSession(connection);
            origins = new OriginNodes(connection);
            replaced.run();
        }
        return connection;
    }

    /** The origin session of the open connection, opened when there is none. */
    OriginSession session() throws SQLException {
        get();
        return session;
    }

    /** The nodes of the open connection's replication origins, as apply statements report them; null when none is open. */
    OriginNodes origins() {
        return origins;
    }

    /** The connection as it is (null when none is open), for work that must not open one. */
    Connection current() {
        return connection;
    }

    /** The origin session as it is, or null. */
    OriginSession currentSession() {
        return session;
    }

    /** Whether a connection was open and is found closed now (the server went, or the session was killed). */
    boolean lost() throws SQLException {
        return connection != null && connection.isClosed();
    }

    /** Whether the open connection (if any) is closed, never failing. */
    boolean broken() {
        try {
            return connection == null || connection.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    /** Closes the connection (already broken, or to be replaced); the next use opens another. */
    void drop() {
        Connection c = connection;
        connection = null;
        session = null;
        origins = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // already broken: nothing to release
            }
            replaced.run();
        }
    }

    /**
     * Lets the connection go at once: dropped without waiting for the server, which rolls back what
     * was open. A rollback would wait for an answer from a server that may not give one.
     */
    @Override
    public void close() {
        Connection c = connection;
        connection = null;
        session = null;
        origins = null;
        if (c != null) {
            try {
                c.abort(Runnable::run);
            } catch (SQLException | RuntimeException e) {
                LOG.debug("Dropping an apply connection of node {}: {}", config.nodeName(), e.getMessage());
            }
            replaced.run();
        }
    }
}
