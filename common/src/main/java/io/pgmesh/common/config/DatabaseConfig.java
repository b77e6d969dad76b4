package io.pgmesh.common.config;

import java.time.Duration;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.types.Password;

/**
 * The {@code database.*} keys both connectors use to reach their node's PostgreSQL, defined once.
 * Each connector's config class calls {@link #define} and reads them back with {@link #settings}.
 */
public final class DatabaseConfig {

    public static final String HOST_CONFIG = "database.host";
    private static final String HOST_DOC = "Host name or address of the node's PostgreSQL server.";

    public static final String PORT_CONFIG = "database.port";
    private static final String PORT_DOC = "TCP port of the node's PostgreSQL server.";
    private static final int PORT_DEFAULT = 5432;

    public static final String NAME_CONFIG = "database.name";
    private static final String NAME_DOC = "The database this node replicates.";

    public static final String USER_CONFIG = "database.user";

    public static final String PASSWORD_CONFIG = "database.password";
    private static final String PASSWORD_DOC = "Password of database.user. Never logged; use a Connect"
            + " config provider (for example ${file:/secrets/pg.properties:password}) to keep it out of the config.";

    public static final String SSLMODE_CONFIG = "database.sslmode";
    private static final String SSLMODE_DOC = "TLS mode of the connections to PostgreSQL, as libpq's"
            + " sslmode: disable, allow, prefer, require, verify-ca or verify-full.";
    private static final String SSLMODE_DEFAULT = "prefer";

    public static final String SSLROOTCERT_CONFIG = "database.sslrootcert";
    private static final String SSLROOTCERT_DOC = "File with the certificate authorities trusted to sign"
            + " the server's certificate (for verify-ca and verify-full). Empty: the driver's default location.";

    public static final String CONNECT_TIMEOUT_MS_CONFIG = "database.connect.timeout.ms";
    private static final String CONNECT_TIMEOUT_MS_DOC = "How long to wait for a connection to PostgreSQL,"
            + " and for each check validate() runs against it.";
    private static final long CONNECT_TIMEOUT_MS_DEFAULT = 10_000L;

    private DatabaseConfig() {
    }

    /**
     * Defines the database keys in {@code group}.
     *
     * @param userDoc what the role of {@code database.user} must be allowed to do, for this connector
     */
    public static void define(ConfigDef def, String group, String userDoc) {
        int order = 0;
        ConfigDef.Validator nonEmpty = new ConfigDef.NonEmptyStringWithoutControlChars();
        def.define(HOST_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, nonEmpty, Importance.HIGH, HOST_DOC,
                group, ++order, Width.LONG, "Host");
        def.define(PORT_CONFIG, Type.INT, PORT_DEFAULT, ConfigDef.Range.between(1, 65535), Importance.HIGH, PORT_DOC,
                group, ++order, Width.SHORT, "Port");
        def.define(NAME_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, nonEmpty, Importance.HIGH, NAME_DOC,
                group, ++order, Width.MEDIUM, "Database");
        def.define(USER_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, nonEmpty, Importance.HIGH, userDoc,
                group, ++order, Width.MEDIUM, "User");
        def.define(PASSWORD_CONFIG, Type.PASSWORD, "", Importance.HIGH, PASSWORD_DOC, group, ++order, Width.MEDIUM,
                "Password");
        def.define(SSLMODE_CONFIG, Type.STRING, SSLMODE_DEFAULT,
                ConfigDef.ValidString.in("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
                Importance.MEDIUM, SSLMODE_DOC, group, ++order, Width.SHORT, "TLS mode");
        def.define(SSLROOTCERT_CONFIG, Type.STRING, "", Importance.MEDIUM, SSLROOTCERT_DOC, group, ++order,
                Width.LONG, "TLS root certificates");
        def.define(CONNECT_TIMEOUT_MS_CONFIG, Type.LONG, CONNECT_TIMEOUT_MS_DEFAULT,
                ConfigDef.Range.between(1_000L, 300_000L), Importance.LOW, CONNECT_TIMEOUT_MS_DOC, group, ++order,
                Width.SHORT, "Connect timeout (ms)");
    }

    /** The database settings of a config that {@link #define defined} them. */
    public static DatabaseSettings settings(AbstractConfig config) {
        return new DatabaseSettings(config.getString(HOST_CONFIG), config.getInt(PORT_CONFIG),
                config.getString(NAME_CONFIG), config.getString(USER_CONFIG), config.getPassword(PASSWORD_CONFIG),
                config.getString(SSLMODE_CONFIG), config.getString(SSLROOTCERT_CONFIG),
                Duration.ofMillis(config.getLong(CONNECT_TIMEOUT_MS_CONFIG)));
    }

    /** How to reach one node's database. The password prints as {@code [hidden]}. */
    public record DatabaseSettings(String host, int port, String database, String user, Password password,
                                   String sslMode, String sslRootCert, Duration connectTimeout) {

        /** {@code host:port/database}, for messages. */
        public String describe() {
            return host + ":" + port + "/" + database;
        }
    }
}
