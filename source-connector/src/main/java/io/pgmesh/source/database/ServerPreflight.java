package io.pgmesh.source.database;

import io.pgmesh.source.config.PgmeshSourceConfig;
import io.pgmesh.source.config.PgmeshSourceConfig.PublicationAutocreateMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks, against the live server, everything the source needs before it streams: that it can
 * connect with the given credentials, the server version, {@code wal_level=logical},
 * {@code track_commit_timestamp=on}, the role's REPLICATION right, a usable slot and the
 * publications. Each problem names the configuration key to fix and says how.
 */
public final class ServerPreflight {

    /** A problem found, reported on {@code key}. */
    public record Problem(String key, String message) {
    }

    static final int MINIMUM_SERVER_VERSION_NUM = 150000;

    private final PgmeshSourceConfig config;
    private final PostgresConnections connections;

    public ServerPreflight(PgmeshSourceConfig config, PostgresConnections connections) {
        this.config = config;
        this.connections = connections;
    }

    /** Runs every check; an empty list means the server is ready. */
    public List<Problem> run() {
        try (Connection c = connections.openControl()) {
            return check(c);
        } catch (SQLException e) {
            return List.of(connectionProblem(e));
        }
    }

    /** Runs every check on an open connection; an empty list means the server is ready. */
    public List<Problem> check(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SET statement_timeout = " + config.connectTimeout().toMillis());
        }
        try {
            return checks(c);
        } finally {
            try (Statement s = c.createStatement()) {
                s.execute("RESET statement_timeout");
            }
        }
    }

    private List<Problem> checks(Connection c) throws SQLException {
        List<Problem> problems = new ArrayList<>();
        String where = connections.describe();
        int version = Integer.parseInt(setting(c, "server_version_num"));
        if (version < MINIMUM_SERVER_VERSION_NUM) {
            problems.add(new Problem(PgmeshSourceConfig.DATABASE_HOST_CONFIG, "pgmesh needs PostgreSQL 15 or later; "
                    + where + " runs " + setting(c, "server_version") + "."));
            return problems;
        }
        String walLevel = setting(c, "wal_level");
        if (!"logical".equals(walLevel)) {
            problems.add(new Problem(PgmeshSourceConfig.DATABASE_HOST_CONFIG, "wal_level is '" + walLevel + "' on "
                    + where + "; pgmesh needs wal_level=logical. Run ALTER SYSTEM SET wal_level = logical and"
                    + " restart the server."));
        }
        String commitTimestamps = setting(c, "track_commit_timestamp");
        if (!"on".equals(commitTimestamps)) {
            problems.add(new Problem(PgmeshSourceConfig.DATABASE_HOST_CONFIG, "track_commit_timestamp is off on "
                    + where + "; pgmesh needs it for last-update-wins. Run ALTER SYSTEM SET track_commit_timestamp"
                    + " = on and restart the server."));
        }
        RoleRights rights = roleRights(c);
        if (!rights.replication()) {
            problems.add(new Problem(PgmeshSourceConfig.DATABASE_USER_CONFIG, "role " + config.user()
                    + " may not stream changes: run ALTER ROLE " + io.pgmesh.common.sql.SqlIdentifiers.quote(config.user())
                    + " REPLICATION, or connect as a role that has it."));
        }
        slotProblem(c).ifPresent(problems::add);
        problems.addAll(publicationProblems(c, rights));
        return problems;
    }

    private Optional<Problem> slotProblem(Connection c) throws SQLException {
        Optional<ReplicationSlots.SlotInfo> slot = new ReplicationSlots(c).find(config.slotName());
        if (slot.isPresent()) {
            return slot.get().unusableReason(config.database()).map(reason ->
                    new Problem(PgmeshSourceConfig.SLOT_NAME_CONFIG, reason));
        }
        int max = Integer.parseInt(setting(c, "max_replication_slots"));
        int used;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_replication_slots")) {
            rs.next();
            used = rs.getInt(1);
        }
        if (used >= max) {
            return Optional.of(new Problem(PgmeshSourceConfig.SLOT_NAME_CONFIG, "slot " + config.slotName()
                    + " does not exist and cannot be created: all " + max + " replication slots are in use."
                    + " Raise max_replication_slots (restart needed) or drop an unused slot."));
        }
        return Optional.empty();
    }

    private List<Problem> publicationProblems(Connection c, RoleRights rights) throws SQLException {
        List<Problem> problems = new ArrayList<>();
        Publications publications = new Publications(c);
        for (String publication : config.publications()) {
            if (publications.exists(publication)) {
                continue;
            }
            if (config.publicationAutocreateMode() == PublicationAutocreateMode.DISABLED) {
                problems.add(new Problem(PgmeshSourceConfig.REPLICATION_SETS_CONFIG, "publication " + publication
                        + " does not exist: create it, or set " + PgmeshSourceConfig.PUBLICATION_AUTOCREATE_MODE_CONFIG
                        + "=all_tables."));
            } else if (!rights.superuser()) {
                problems.add(new Problem(PgmeshSourceConfig.PUBLICATION_AUTOCREATE_MODE_CONFIG, "publication "
                        + publication + " does not exist, and creating it FOR ALL TABLES needs a superuser: create it"
                        + " as a superuser, or give the connector a superuser role."));
            }
        }
        return problems;
    }

    private Problem connectionProblem(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String detail = e.getMessage() + (state.isEmpty() ? "" : " (SQLSTATE " + state + ")");
        if (state.equals("28P01")) {
            return new Problem(PgmeshSourceConfig.DATABASE_PASSWORD_CONFIG, "authentication failed for "
                    + config.user() + ": " + detail + ". Check " + PgmeshSourceConfig.DATABASE_USER_CONFIG + " and "
                    + PgmeshSourceConfig.DATABASE_PASSWORD_CONFIG + ".");
        }
        if (state.startsWith("28")) {
            return new Problem(PgmeshSourceConfig.DATABASE_USER_CONFIG, "the server refused role " + config.user()
                    + ": " + detail + ". Check the role exists and pg_hba.conf lets it connect.");
        }
        if (state.equals("3D000")) {
            return new Problem(PgmeshSourceConfig.DATABASE_NAME_CONFIG, "database " + config.database()
                    + " does not exist on " + config.host() + ":" + config.port() + ".");
        }
        return new Problem(PgmeshSourceConfig.DATABASE_HOST_CONFIG, "cannot connect to " + connections.describe()
                + ": " + detail + ". Check " + PgmeshSourceConfig.DATABASE_HOST_CONFIG + ", "
                + PgmeshSourceConfig.DATABASE_PORT_CONFIG + " and that the server is up.");
    }

    private record RoleRights(boolean superuser, boolean replication) {
    }

    private static RoleRights roleRights(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT rolsuper, rolreplication FROM pg_roles WHERE rolname = current_user")) {
            rs.next();
            boolean superuser = rs.getBoolean(1);
            return new RoleRights(superuser, superuser || rs.getBoolean(2));
        }
    }

    static String setting(Connection c, String name) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT current_setting(?)")) {
            s.setString(1, name);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
