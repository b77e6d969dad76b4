package io.pgmesh.source.database;

import io.pgmesh.common.sql.PostgresConnector;
import io.pgmesh.source.config.PgmeshSourceConfig;
import java.sql.Connection;
import java.sql.SQLException;

/** The source's two kinds of connection to its node. */
public final class SourceConnections {

    private SourceConnections() {
    }

    /**
     * The control connection: catalog queries, publication and slot management, heartbeats. Uses
     * {@code search_path=pg_catalog} so {@code format_type} qualifies every type outside pg_catalog.
     */
    public static Connection control(PostgresConnector connector, PgmeshSourceConfig config) throws SQLException {
        return connector.open("pgmesh-source-" + config.nodeName(), "-c search_path=pg_catalog");
    }

    /** The logical replication connection the stream runs on. */
    public static Connection replication(PostgresConnector connector, PgmeshSourceConfig config) throws SQLException {
        return connector.openReplication("pgmesh-source-" + config.nodeName() + "-stream");
    }
}
