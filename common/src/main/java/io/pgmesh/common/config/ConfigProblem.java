package io.pgmesh.common.config;

import io.pgmesh.common.config.DatabaseConfig.DatabaseSettings;
import java.sql.SQLException;

/** A problem found in a connector's configuration or its server, reported on {@code key}. */
public record ConfigProblem(String key, String message) {

    /** What a failure to connect means for the user, on the key to fix. */
    public static ConfigProblem ofConnectionFailure(SQLException e, DatabaseSettings db) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String detail = e.getMessage() + (state.isEmpty() ? "" : " (SQLSTATE " + state + ")");
        if (state.equals("28P01")) {
            return new ConfigProblem(DatabaseConfig.PASSWORD_CONFIG, "authentication failed for " + db.user() + ": "
                    + detail + ". Check " + DatabaseConfig.USER_CONFIG + " and " + DatabaseConfig.PASSWORD_CONFIG + ".");
        }
        if (state.startsWith("28")) {
            return new ConfigProblem(DatabaseConfig.USER_CONFIG, "the server refused role " + db.user() + ": "
                    + detail + ". Check the role exists and pg_hba.conf lets it connect.");
        }
        if (state.equals("3D000")) {
            return new ConfigProblem(DatabaseConfig.NAME_CONFIG, "database " + db.database() + " does not exist on "
                    + db.host() + ":" + db.port() + ".");
        }
        return new ConfigProblem(DatabaseConfig.HOST_CONFIG, "cannot connect to " + db.describe() + ": " + detail
                + ". Check " + DatabaseConfig.HOST_CONFIG + ", " + DatabaseConfig.PORT_CONFIG
                + " and that the server is up.");
    }
}
