package io.pgmesh.sink.schema;

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
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * pgmesh's objects on a node (schema {@code pgmesh}: version functions, tombstones and their
 * triggers, conflict log, sink progress), created or brought up to date on every sink start, and
 * the node's name, which must match the sink's.
 */
public final class NodeSchema {

    private static final Logger LOG = LoggerFactory.getLogger(NodeSchema.class);
    static final int VERSION = 1;
    private static final String SCRIPT = "pgmesh-schema.sql";

    private NodeSchema() {
    }

    /**
     * Installs or updates the schema and every tracked table's triggers, and records (or checks)
     * the node name. Serialized between concurrent sink tasks by an advisory lock.
     */
    public static void bootstrap(Connection c, NodeName node) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(hashtext('pgmesh.bootstrap'))");
            if (!isCurrent(c) || isSuperuser(c)) {
                s.execute(script());
            }
            claimNodeName(c, node);
            try (ResultSet rs = s.executeQuery("SELECT pgmesh.install_all_change_triggers()")) {
                rs.next();
                int installed = rs.getInt(1);
                if (installed > 0) {
                    LOG.info("Installed pgmesh's tombstone triggers on {} tables of node {}", installed, node);
                }
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    private static void claimNodeName(Connection c, NodeName node) throws SQLException {
        try (PreparedStatement claim = c.prepareStatement(
                "INSERT INTO pgmesh.node (name) VALUES (?) ON CONFLICT (singleton) DO NOTHING")) {
            claim.setString(1, node.value());
            claim.executeUpdate();
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT name FROM pgmesh.node")) {
            rs.next();
            String recorded = rs.getString(1);
            if (!recorded.equals(node.value())) {
                throw new ConnectException("This database is pgmesh node '" + recorded + "', but the sink is configured"
                        + " as node '" + node + "'. Fix node.name, or point database.* at the right database.");
            }
        }
    }

    private static boolean isCurrent(Connection c) throws SQLException {
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

    static String script() {
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
