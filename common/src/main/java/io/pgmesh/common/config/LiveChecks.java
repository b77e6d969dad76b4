package io.pgmesh.common.config;

import io.pgmesh.common.config.DatabaseConfig.DatabaseSettings;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Runs a connector's checks against its live server, each under the connect timeout: a failure to
 * connect is reported on the key the failure points to, a failure after connecting (a query the
 * role may not run) on {@code database.user}.
 */
public final class LiveChecks {

    /** Opens the connection to check on. */
    @FunctionalInterface
    public interface Opener {
        Connection open() throws SQLException;
    }

    /** The checks, on an open connection. */
    @FunctionalInterface
    public interface Checks {
        List<ConfigProblem> run(Connection c) throws SQLException;
    }

    private LiveChecks() {
    }

    public static List<ConfigProblem> run(DatabaseSettings db, Opener opener, Checks checks) {
        Connection c;
        try {
            c = opener.open();
        } catch (SQLException e) {
            return List.of(ConfigProblem.ofConnectionFailure(e, db));
        }
        try (c) {
            try (Statement s = c.createStatement()) {
                s.execute("SET statement_timeout = " + db.connectTimeout().toMillis());
            }
            return checks.run(c);
        } catch (SQLException e) {
            return List.of(new ConfigProblem(DatabaseConfig.USER_CONFIG, "checking what role " + db.user()
                    + " may do on " + db.describe() + " failed: " + e.getMessage() + " (SQLSTATE " + e.getSQLState()
                    + ")"));
        }
    }
}
