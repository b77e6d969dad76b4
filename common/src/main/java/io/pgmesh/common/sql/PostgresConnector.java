package io.pgmesh.common.sql;

import io.pgmesh.common.config.DatabaseConfig.DatabaseSettings;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import org.postgresql.PGProperty;

/**
 * Opens connections to a node. Every connection pins the settings that decide how values print
 * and parse ({@code DateStyle=ISO}, {@code IntervalStyle=postgres}, {@code extra_float_digits=3}), so
 * the text a source captures reads back identically on any peer, whatever each server's defaults.
 */
public final class PostgresConnector {

    static final String WIRE_FORMAT_OPTIONS = "-c DateStyle=ISO -c IntervalStyle=postgres -c extra_float_digits=3";

    private final DatabaseSettings settings;

    public PostgresConnector(DatabaseSettings settings) {
        this.settings = settings;
    }

    public DatabaseSettings settings() {
        return settings;
    }

    /**
     * An ordinary connection, autocommit on.
     *
     * @param extraOptions more {@code -c name=value} server settings for the session, or empty
     */
    public Connection open(String applicationName, String extraOptions) throws SQLException {
        Properties props = baseProperties(applicationName);
        PGProperty.OPTIONS.set(props, (WIRE_FORMAT_OPTIONS + " " + extraOptions).trim());
        return DriverManager.getConnection(url(), props);
    }

    /** A logical replication connection ({@code replication=database}). */
    public Connection openReplication(String applicationName) throws SQLException {
        Properties props = baseProperties(applicationName);
        PGProperty.OPTIONS.set(props, WIRE_FORMAT_OPTIONS);
        PGProperty.REPLICATION.set(props, "database");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(props, "10");
        PGProperty.PREFER_QUERY_MODE.set(props, "simple");
        return DriverManager.getConnection(url(), props);
    }

    private String url() {
        String host = settings.host().contains(":") && !settings.host().startsWith("[")
                ? "[" + settings.host() + "]" : settings.host();
        return "jdbc:postgresql://" + host + ":" + settings.port() + "/"
                + URLEncoder.encode(settings.database(), StandardCharsets.UTF_8);
    }

    private Properties baseProperties(String applicationName) {
        Properties props = new Properties();
        PGProperty.USER.set(props, settings.user());
        String password = settings.password().value();
        if (password != null && !password.isEmpty()) {
            PGProperty.PASSWORD.set(props, password);
        }
        PGProperty.SSL_MODE.set(props, settings.sslMode());
        if (!settings.sslRootCert().isEmpty()) {
            PGProperty.SSL_ROOT_CERT.set(props, settings.sslRootCert());
        }
        int timeoutSeconds = (int) Math.max(1, settings.connectTimeout().toSeconds());
        PGProperty.CONNECT_TIMEOUT.set(props, timeoutSeconds);
        PGProperty.LOGIN_TIMEOUT.set(props, timeoutSeconds);
        PGProperty.TCP_KEEP_ALIVE.set(props, true);
        PGProperty.APPLICATION_NAME.set(props, applicationName);
        return props;
    }
}
