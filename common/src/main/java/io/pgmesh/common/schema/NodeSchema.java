package io.pgmesh.common.schema;

import io.pgmesh.common.NodeName;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * pgmesh's objects on a node (schema {@code pgmesh}: replication sets, DDL capture, version
 * functions, tombstones and their triggers, conflict log, sink progress), created or brought up to
 * date when a connector starts, and the node's name, which every connector of the node must share.
 */
public final class NodeSchema {

    private static final Logger LOG = LoggerFactory.getLogger(NodeSchema.class);
    /** The replication sets every node has. */
    public static final List<String> BUILT_IN_SETS = List.of("ddl_sql", "default", "default_insert_only");
    static final int VERSION = 5;
    /** The install script, a resource of this class, for operators who install it themselves. */
    public static final String SCRIPT = "pgmesh-schema.sql";

    private NodeSchema() {
    }

    /**
     * Installs or updates the schema when it is missing or older and the role is a superuser (event
     * triggers need one), installs any missing tombstone triggers, and records (or checks) the node name. A role that is
     * not a superuser can use a schema a superuser installed. Serialized between concurrent
     * connectors of the node by an advisory lock.
     *
     * @throws ConnectException when the schema is missing or older and the role cannot install it,
     *                          or the database belongs to another node
     */
    public static void bootstrap(Connection c, NodeName node) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(hashtext('pgmesh.bootstrap'))");
            boolean superuser = isSuperuser(c);
            boolean current = isCurrent(c);
            if (superuser) {
                if (!current) {
                    s.execute(script());
                    LOG.info("Installed schema pgmesh version {} on node {}", VERSION, node);
                }
                installTriggers(c, node);
            } else if (!current) {
                throw new ConnectException("Schema pgmesh is missing on node " + node + " or older than this"
                        + " connector's (version " + VERSION + "), and role " + currentUser(c) + " cannot install it:"
                        + " its event triggers need a superuser. Start the connector once with a superuser in"
                        + " database.user, or have a superuser run " + SCRIPT + " (in the pgmesh-common jar, under"
                        + " io/pgmesh/common/schema/) in the database, then start it again.");
            }
            claimNodeName(c, node);
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    private static void installTriggers(Connection c, NodeName node) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pgmesh.install_all_change_triggers()")) {
            rs.next();
            int installed = rs.getInt(1);
            if (installed > 0) {
                LOG.info("Installed pgmesh's tombstone triggers on {} tables of node {}", installed, node);
            }
        }
    }

    private static void claimNodeName(Connection c, NodeName node) throws SQLException {
        String recorded = recordedName(c);
        if (recorded == null) {
            try (PreparedStatement claim = c.prepareStatement(
                    "INSERT INTO pgmesh.node (name) VALUES (?) ON CONFLICT (singleton) DO NOTHING")) {
                claim.setString(1, node.value());
                claim.executeUpdate();
            } catch (SQLException e) {
                if ("42501".equals(e.getSQLState())) {
                    throw new ConnectException("Node " + node + " has no name recorded yet and role "
                            + currentUser(c) + " may not record it: start the connector once with a superuser in"
                            + " database.user, or GRANT INSERT ON pgmesh.node TO " + currentUser(c) + ".", e);
                }
                throw e;
            }
            recorded = recordedName(c);
        }
        if (!node.value().equals(recorded)) {
            throw new ConnectException("This database is pgmesh node '" + recorded + "', but the connector is"
                    + " configured as node '" + node + "'. Fix node.name, or point database.* at the right database.");
        }
    }

    private static String recordedName(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pgmesh.local_node()")) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** The node name recorded in the database, if schema pgmesh is there and has one. */
    public static Optional<String> recordedNodeName(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT to_regclass('pgmesh.node') IS NOT NULL")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                return Optional.empty();
            }
        }
        return Optional.ofNullable(recordedName(c));
    }

    private static String currentUser(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_user")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Whether schema pgmesh is installed at this connector's version or later. */
    public static boolean isCurrent(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT to_regclass('pgmesh.schema_version') IS NOT NULL")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                return false;
            }
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT version FROM pgmesh.schema_version")) {
            return rs.next() && rs.getInt(1) >= VERSION;
        }
    }

    private static boolean isSuperuser(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    /** The install script's text: what a superuser runs to install or upgrade schema pgmesh by hand. */
    public static String script() {
        try (InputStream in = NodeSchema.class.getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + SCRIPT);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
