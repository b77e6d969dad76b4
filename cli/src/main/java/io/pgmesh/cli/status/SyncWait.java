package io.pgmesh.cli.status;

import io.pgmesh.cli.CliException;
import io.pgmesh.cli.cluster.NodeSpec;
import io.pgmesh.common.Lsn;
import io.pgmesh.common.sql.PostgresConnector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.function.Function;

/**
 * Waits until a node has applied everything a peer committed before the wait began, as Spock's
 * sync events do: the peer writes a sync event into its stream ({@code pgmesh.sync_event()}) and
 * the node has caught up once its applied position for the peer reaches the event.
 */
public final class SyncWait {

    private final Function<String, String> environment;

    public SyncWait(Function<String, String> environment) {
        this.environment = environment;
    }

    /** Writes a sync event on {@code peer} and returns its position. */
    public Lsn emit(NodeSpec peer) {
        try (Connection c = open(peer); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pgmesh.sync_event()::text")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        } catch (SQLException e) {
            throw new CliException("could not write a sync event on " + peer + ": " + e.getMessage()
                    + (e.getSQLState() != null && e.getSQLState().startsWith("42") ? " (is schema pgmesh installed?"
                    + " run pgmeshctl init, and use a role that may call pg_logical_emit_message)" : ""));
        }
    }

    /**
     * Waits until {@code node} has applied {@code peer}'s sync event at {@code lsn}.
     *
     * @return how long it took
     * @throws CliException after {@code timeout}
     */
    public Duration await(NodeSpec node, NodeSpec peer, Lsn lsn, Duration timeout) {
        return await(node, peer, lsn, timeout, () -> { });
    }

    /**
     * As {@link #await(NodeSpec, NodeSpec, Lsn, Duration)}, running {@code check} on every look
     * (it throws to end the wait early, when the connectors that must make the progress FAILED).
     */
    public Duration await(NodeSpec node, NodeSpec peer, Lsn lsn, Duration timeout, Runnable check) {
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        try (Connection c = open(node); PreparedStatement s = c.prepareStatement(
                "SELECT lsn::text FROM pgmesh.applied_origins WHERE origin = ?")) {
            s.setString(1, peer.name().value());
            while (true) {
                Lsn applied = Lsn.INVALID;
                try (ResultSet rs = s.executeQuery()) {
                    if (rs.next()) {
                        applied = Lsn.parse(rs.getString(1));
                    }
                }
                if (!applied.isBefore(lsn)) {
                    return Duration.ofNanos(System.nanoTime() - started);
                }
                check.run();
                if (System.nanoTime() > deadline) {
                    throw new CliException("node " + node.name() + " has not applied " + peer.name() + "'s sync event at "
                            + lsn + " after " + timeout.toSeconds() + " s (it stands at " + applied + " of "
                            + peer.name() + "); see pgmeshctl status for what holds it up");
                }
                Thread.sleep(200);
            }
        } catch (SQLException e) {
            throw new CliException("could not read the progress of " + node + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while waiting for " + node.name());
        }
    }

    private Connection open(NodeSpec node) throws SQLException {
        return new PostgresConnector(node.settings(environment)).open("pgmeshctl", "");
    }
}
