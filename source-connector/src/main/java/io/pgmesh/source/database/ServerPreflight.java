package io.pgmesh.source.database;

import io.pgmesh.common.config.ConfigProblem;
import io.pgmesh.common.config.DatabaseConfig;
import io.pgmesh.common.config.LiveChecks;
import io.pgmesh.common.schema.NodeSchema;
import io.pgmesh.common.sql.PostgresConnector;
import io.pgmesh.common.sql.SqlIdentifiers;
import io.pgmesh.source.config.PgmeshSourceConfig;
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
 * {@code track_commit_timestamp=on}, the role's REPLICATION right, a usable slot, schema pgmesh
 * (or the right to install it), the node's name and the configured replication sets. Each problem names the configuration key to fix and says how.
 */
public final class ServerPreflight {

    static final int MINIMUM_SERVER_VERSION_NUM = 150000;

    private final PgmeshSourceConfig config;

    public ServerPreflight(PgmeshSourceConfig config) {
        this.config = config;
    }

    /** Connects and runs every check; an empty list means the server is ready. */
    public List<ConfigProblem> run() {
        return LiveChecks.run(config.database(),
                () -> SourceConnections.control(new PostgresConnector(config.database()), config), this::checks);
    }

    /** Runs every check on an open connection (the capture's own); an empty list means the server is ready. */
    public List<ConfigProblem> check(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SET statement_timeout = " + config.database().connectTimeout().toMillis());
        }
        try {
            return checks(c);
        } finally {
            try (Statement s = c.createStatement()) {
                s.execute("RESET statement_timeout");
            }
        }
    }

    private List<ConfigProblem> checks(Connection c) throws SQLException {
        List<ConfigProblem> problems = new ArrayList<>();
        String where = config.database().describe();
        int version = Integer.parseInt(setting(c, "server_version_num"));
        if (version < MINIMUM_SERVER_VERSION_NUM) {
            problems.add(new ConfigProblem(DatabaseConfig.HOST_CONFIG, "pgmesh needs PostgreSQL 15 or later; "
                    + where + " runs " + setting(c, "server_version") + "."));
            return problems;
        }
        String walLevel = setting(c, "wal_level");
        if (!"logical".equals(walLevel)) {
            problems.add(new ConfigProblem(DatabaseConfig.HOST_CONFIG, "wal_level is '" + walLevel + "' on "
                    + where + "; pgmesh needs wal_level=logical. Run ALTER SYSTEM SET wal_level = logical and"
                    + " restart the server."));
        }
        if (!"on".equals(setting(c, "track_commit_timestamp"))) {
            problems.add(new ConfigProblem(DatabaseConfig.HOST_CONFIG, "track_commit_timestamp is off on "
                    + where + "; pgmesh needs it for last-update-wins. Run ALTER SYSTEM SET track_commit_timestamp"
                    + " = on and restart the server."));
        }
        RoleRights rights = roleRights(c);
        if (!rights.replication()) {
            String user = config.database().user();
            problems.add(new ConfigProblem(DatabaseConfig.USER_CONFIG, "role " + user + " may not stream changes:"
                    + " run ALTER ROLE " + SqlIdentifiers.quote(user) + " REPLICATION, or connect as a role that has it."));
        }
        slotProblem(c).ifPresent(problems::add);
        problems.addAll(schemaProblems(c, rights));
        return problems;
    }

    private Optional<ConfigProblem> slotProblem(Connection c) throws SQLException {
        Optional<ReplicationSlots.SlotInfo> slot = new ReplicationSlots(c).find(config.slotName());
        if (slot.isPresent()) {
            return slot.get().unusableReason(config.database().database()).map(reason ->
                    new ConfigProblem(PgmeshSourceConfig.SLOT_NAME_CONFIG, reason));
        }
        int max = Integer.parseInt(setting(c, "max_replication_slots"));
        int used;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_replication_slots")) {
            rs.next();
            used = rs.getInt(1);
        }
        if (used >= max) {
            return Optional.of(new ConfigProblem(PgmeshSourceConfig.SLOT_NAME_CONFIG, "slot " + config.slotName()
                    + " does not exist and cannot be created: all " + max + " replication slots are in use."
                    + " Raise max_replication_slots (restart needed) or drop an unused slot."));
        }
        return Optional.empty();
    }

    private List<ConfigProblem> schemaProblems(Connection c, RoleRights rights) throws SQLException {
        List<ConfigProblem> problems = new ArrayList<>();
        String where = config.database().describe();
        boolean current = NodeSchema.isCurrent(c);
        if (!current && !rights.superuser()) {
            problems.add(new ConfigProblem(DatabaseConfig.USER_CONFIG, "schema pgmesh is missing or out of date on "
                    + where + ", and role " + config.database().user() + " cannot install it: its event triggers need"
                    + " a superuser. Connect once as a superuser, or have a superuser run " + NodeSchema.SCRIPT
                    + " (in the pgmesh-common jar) in the database."));
        }
        Optional<String> recorded = NodeSchema.recordedNodeName(c);
        if (recorded.isPresent() && !recorded.get().equals(config.nodeName().value())) {
            problems.add(new ConfigProblem(PgmeshSourceConfig.NODE_NAME_CONFIG, "the database at " + where
                    + " is pgmesh node '" + recorded.get() + "', not '" + config.nodeName() + "': fix node.name, or"
                    + " point database.* at the right database."));
        }
        List<String> missing = new StreamedSets(config.replicationSets()).missing(c).stream()
                .filter(set -> current || !NodeSchema.BUILT_IN_SETS.contains(set)).toList();
        if (!missing.isEmpty()) {
            problems.add(new ConfigProblem(PgmeshSourceConfig.REPLICATION_SETS_CONFIG, "replication set(s) "
                    + String.join(", ", missing) + " do not exist on " + where + ": create them there with SELECT"
                    + " pgmesh.repset_create('<name>'), or leave " + PgmeshSourceConfig.REPLICATION_SETS_CONFIG
                    + " empty to stream every set."));
        }
        return problems;
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
