package io.pgmesh.cli.cluster;

import io.pgmesh.cli.CliException;
import io.pgmesh.common.schema.NodeSchema;
import io.pgmesh.common.sql.PostgresConnector;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * {@code pgmeshctl init}: makes each node ready for its connectors. Checks the server settings
 * pgmesh needs, installs (or upgrades) schema {@code pgmesh} with its event triggers and built-in
 * replication sets, and records the node's name, as the connectors would on their first start, but
 * before any connector exists and with every problem reported at once.
 */
public final class NodeBootstrap {

    private final Function<String, String> environment;
    private final PrintStream out;

    public NodeBootstrap(Function<String, String> environment, PrintStream out) {
        this.environment = environment;
        this.out = out;
    }

    /** Bootstraps every node; fails after trying all of them when any failed. */
    public void run(List<NodeSpec> nodes) {
        List<String> failures = new ArrayList<>();
        for (NodeSpec node : nodes) {
            try {
                bootstrap(node);
            } catch (CliException e) {
                failures.add(e.getMessage());
                out.printf("  %s: FAILED: %s%n", node.name(), e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new CliException(failures.size() + " of " + nodes.size() + " nodes are not ready; fix what is"
                    + " printed above and run init again");
        }
    }

    private void bootstrap(NodeSpec node) {
        try (Connection c = new PostgresConnector(node.settings(environment)).open("pgmeshctl", "")) {
            List<String> problems = settingsProblems(c);
            if (!problems.isEmpty()) {
                throw new CliException(node + ": " + String.join("; ", problems));
            }
            NodeSchema.bootstrap(c, node.name());
            out.printf("  %s: ready (%s, schema pgmesh installed, node name recorded)%n", node.name(), version(c));
        } catch (SQLException e) {
            throw new CliException("cannot prepare " + node + ": " + e.getMessage());
        } catch (ConnectException e) {
            throw new CliException(e.getMessage());
        }
    }

    /** What the server must change before pgmesh can run on it, each with the setting to change. */
    static List<String> settingsProblems(Connection c) throws SQLException {
        List<String> problems = new ArrayList<>();
        if (!"logical".equals(setting(c, "wal_level"))) {
            problems.add("wal_level is " + setting(c, "wal_level") + ": set wal_level = logical and restart the server");
        }
        if (!"on".equals(setting(c, "track_commit_timestamp"))) {
            problems.add("track_commit_timestamp is off: set track_commit_timestamp = on and restart the server"
                    + " (last-update-wins reads every row's commit time)");
        }
        if (Integer.parseInt(setting(c, "max_replication_slots")) < 1) {
            problems.add("max_replication_slots is 0: the source needs one slot");
        }
        if (Integer.parseInt(setting(c, "server_version_num")) < 150000) {
            problems.add("PostgreSQL " + setting(c, "server_version") + " is too old: pgmesh needs 15 or later");
        }
        return problems;
    }

    private static String setting(Connection c, String name) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_setting('" + name + "')")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String version(Connection c) throws SQLException {
        return "PostgreSQL " + setting(c, "server_version");
    }
}
