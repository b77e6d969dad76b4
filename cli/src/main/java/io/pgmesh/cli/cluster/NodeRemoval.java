package io.pgmesh.cli.cluster;

import io.pgmesh.cli.CliException;
import io.pgmesh.cli.Membership.Removal;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.sql.PostgresConnector;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;

/**
 * What removing a node leaves outside Connect, done with the cluster file's databases: the
 * node's replication slot is dropped (so the node no longer keeps WAL for it), and on every peer
 * the replication origin it applied the node under and its progress rows; optionally the node's
 * topic is deleted. Without a cluster file, {@link #manualSteps} says what to run instead.
 */
public final class NodeRemoval {

    private static final Duration IN_USE_WAIT = Duration.ofSeconds(60);

    private final Function<String, String> environment;
    private final PrintStream out;

    public NodeRemoval(Function<String, String> environment, PrintStream out) {
        this.environment = environment;
        this.out = out;
    }

    /** Drops the slot on the removed node (when given and reachable) and the origins on the peers. */
    public void cleanUp(Removal removal, Optional<NodeSpec> removed, List<NodeSpec> peers) {
        String slot = slotOf(removal);
        if (removed.isPresent()) {
            try {
                untilNotInUse(removed.get(), "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                        + " WHERE slot_name = ?", slot);
                out.printf("  slot %s dropped on %s%n", slot, removal.node());
            } catch (CliException e) {
                out.printf("  slot %s not dropped: %s. Drop it when the node is reachable:"
                        + " SELECT pg_drop_replication_slot('%s');%n", slot, e.getMessage(), slot);
            }
        }
        String origin = new NodeName(removal.node()).originName();
        for (NodeSpec peer : peers) {
            untilNotInUse(peer, "SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin"
                    + " WHERE roname = ?", origin);
            run(peer, "DELETE FROM pgmesh.applied_origins WHERE origin = ?", removal.node());
            run(peer, "DELETE FROM pgmesh.sink_progress WHERE topic = ?", removal.topic());
            out.printf("  %s: replication origin %s and progress of %s dropped%n", peer.name(), origin, removal.node());
        }
    }

    /** Deletes the node's topic. */
    public void deleteTopic(Removal removal, String bootstrapServers) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            admin.deleteTopics(List.of(removal.topic())).all().get(60, TimeUnit.SECONDS);
            out.printf("  topic %s deleted%n", removal.topic());
        } catch (Exception e) {
            throw new CliException("could not delete topic " + removal.topic() + " on " + bootstrapServers + ": "
                    + e.getMessage() + "; delete it with kafka-topics.sh --delete --topic " + removal.topic());
        }
    }

    /** The SQL to run by hand when pgmeshctl has no cluster file to reach the databases with. */
    public static String manualSteps(Removal removal) {
        String origin = new NodeName(removal.node()).originName();
        return "  on node " + removal.node() + ": SELECT pg_drop_replication_slot('" + slotOf(removal) + "');\n"
                + "  on each of " + removal.peers() + ": SELECT pg_replication_origin_drop('" + origin + "');"
                + " DELETE FROM pgmesh.applied_origins WHERE origin = '" + removal.node() + "';"
                + " DELETE FROM pgmesh.sink_progress WHERE topic = '" + removal.topic() + "';\n"
                + "  when no reseed needs it any more: kafka-topics.sh --delete --topic " + removal.topic();
    }

    private static String slotOf(Removal removal) {
        return removal.slot() != null && !removal.slot().isBlank() ? removal.slot()
                : new NodeName(removal.node()).originName();
    }

    /** Runs a drop that fails while a session still uses the object (SQLSTATE 55006), retrying for a while. */
    private void untilNotInUse(NodeSpec node, String sql, String name) {
        long deadline = System.nanoTime() + IN_USE_WAIT.toNanos();
        while (true) {
            try {
                run(node, sql, name);
                return;
            } catch (CliException e) {
                if (!e.getMessage().contains("55006") || System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private void run(NodeSpec node, String sql, String parameter) {
        try (Connection c = new PostgresConnector(node.settings(environment)).open("pgmeshctl", "");
             PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, parameter);
            s.execute();
        } catch (SQLException e) {
            throw new CliException(node + ": " + e.getMessage() + " (SQLSTATE " + e.getSQLState() + ")");
        }
    }
}
