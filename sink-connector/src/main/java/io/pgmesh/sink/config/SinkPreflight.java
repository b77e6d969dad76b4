package io.pgmesh.sink.config;

import io.pgmesh.common.config.ConfigProblem;
import io.pgmesh.common.config.DatabaseConfig;
import io.pgmesh.common.config.LiveChecks;
import io.pgmesh.common.sql.PostgresConnector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks, against the live server, what the sink needs: that it can connect, PostgreSQL 15 or
 * later, {@code track_commit_timestamp=on} (last-update-wins compares commit times), the rights to
 * apply under a replication origin, and either the rights to create schema pgmesh or that it exists.
 */
public final class SinkPreflight {

    private final PgmeshSinkConfig config;

    public SinkPreflight(PgmeshSinkConfig config) {
        this.config = config;
    }

    public List<ConfigProblem> run() {
        return LiveChecks.run(config.database(),
                () -> new PostgresConnector(config.database()).open("pgmesh-sink-validate", ""), this::checks);
    }

    private List<ConfigProblem> checks(Connection c) throws SQLException {
        List<ConfigProblem> problems = new ArrayList<>();
        String where = config.database().describe();
        if (Integer.parseInt(value(c, "SELECT current_setting('server_version_num')")) < 150000) {
            problems.add(new ConfigProblem(DatabaseConfig.HOST_CONFIG, "pgmesh needs PostgreSQL 15 or later; " + where
                    + " runs " + value(c, "SELECT current_setting('server_version')") + "."));
            return problems;
        }
        if (!"on".equals(value(c, "SELECT current_setting('track_commit_timestamp')"))) {
            problems.add(new ConfigProblem(DatabaseConfig.HOST_CONFIG, "track_commit_timestamp is off on " + where
                    + "; last-update-wins needs it. Run ALTER SYSTEM SET track_commit_timestamp = on and restart"
                    + " the server."));
        }
        boolean superuser = "t".equals(value(c, "SELECT CASE WHEN rolsuper THEN 't' END FROM pg_roles"
                + " WHERE rolname = current_user"));
        if (superuser) {
            return problems;
        }
        String user = config.database().user();
        if (!"t".equals(value(c, "SELECT CASE WHEN has_function_privilege('pg_replication_origin_session_setup(text)',"
                + " 'EXECUTE') THEN 't' END"))) {
            problems.add(new ConfigProblem(DatabaseConfig.USER_CONFIG, "role " + user + " may not apply under a"
                    + " replication origin: GRANT EXECUTE on the pg_replication_origin_* functions to it, or use a"
                    + " superuser."));
        }
        if (value(c, "SELECT 't' FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = 'pgmesh' AND c.relname = 'schema_version'") == null) {
            problems.add(new ConfigProblem(DatabaseConfig.USER_CONFIG, "schema pgmesh does not exist yet on " + where
                    + " and role " + user + " is not a superuser: start the sink once as a superuser so it can create"
                    + " pgmesh's objects (event trigger included)."));
        } else if (!"t".equals(value(c, "SELECT CASE WHEN has_schema_privilege('pgmesh', 'USAGE') THEN 't' END"))) {
            problems.add(new ConfigProblem(DatabaseConfig.USER_CONFIG, "role " + user + " may not use schema pgmesh:"
                    + " GRANT USAGE ON SCHEMA pgmesh and read and write on its tables to it, or use a superuser."));
        }
        return problems;
    }

    private static String value(Connection c, String sql) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql); ResultSet rs = s.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
