package io.pgmesh.source.database;

import io.pgmesh.source.config.PgmeshSourceConfig;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import org.postgresql.PGProperty;

/**
 * Opens the source's two kinds of connection to its node: an ordinary one for catalog queries,
 * publication and slot management and heartbeats, and a replication connection for the stream.
 */
public final class PostgresConnections {

    private final PgmeshSourceConfig config;

    public PostgresConnections(PgmeshSourceConfig config) {
        this.config = config;
    }

    /** An ordinary connection, autocommit on, {@code search_path=pg_catalog} so type names come out qualified. */
    public Connection openControl() throws SQLException {
        Properties props = baseProperties("pgmesh-source-" + config.nodeName());
        PGProperty.OPTIONS.set(props, "-c search_path=pg_catalog");
        return DriverManager.getConnection(url(), props);
    }

    /** A logical replication connection ({@code replication=database}). */
    public Connection openReplication() throws SQLException {
        Properties props = baseProperties("pgmesh-source-" + config.nodeName() + "-stream");
        PGProperty.REPLICATION.set(props, "database");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(props, "10");
        PGProperty.PREFER_QUERY_MODE.set(props, "simple");
        return DriverManager.getConnection(url(), props);
    }

    public String describe() {
        return config.host() + ":" + config.port() + "/" + config.database();
    }

    private String url() {
        return "jdbc:postgresql://" + hostForUrl(config.host()) + ":" + config.port() + "/"
                + URLEncoder.encode(config.database(), StandardCharsets.UTF_8);
    }

    private static String hostForUrl(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private Properties baseProperties(String applicationName) {
        Properties props = new Properties();
        PGProperty.USER.set(props, config.user());
        String password = config.password().value();
        if (password != null && !password.isEmpty()) {
            PGProperty.PASSWORD.set(props, password);
        }
        PGProperty.SSL_MODE.set(props, config.sslMode());
        if (!config.sslRootCert().isEmpty()) {
            PGProperty.SSL_ROOT_CERT.set(props, config.sslRootCert());
        }
        int timeoutSeconds = (int) Math.max(1, config.connectTimeout().toSeconds());
        PGProperty.CONNECT_TIMEOUT.set(props, timeoutSeconds);
        PGProperty.LOGIN_TIMEOUT.set(props, timeoutSeconds);
        PGProperty.TCP_KEEP_ALIVE.set(props, true);
        PGProperty.APPLICATION_NAME.set(props, applicationName);
        return props;
    }
}
