package io.pgmesh.cli.status;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgmesh.cli.ConnectClient;
import io.pgmesh.cli.MeshTopology;
import io.pgmesh.cli.MeshTopology.Connector;
import io.pgmesh.cli.cluster.ClusterFile;
import io.pgmesh.cli.cluster.NodeSpec;
import io.pgmesh.cli.status.NodeStatus.OriginStatus;
import io.pgmesh.cli.status.TopicBacklog.Backlog;
import io.pgmesh.common.Lsn;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.sql.PostgresConnector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Gathers the state of a mesh: connector and task states from Connect, positions and conflicts
 * from each node's database, and what waits in each node topic from Kafka (headers only).
 */
public final class MeshStatus {

    private final ClusterFile cluster;
    private final ConnectClient connect;
    private final Function<String, String> environment;

    public MeshStatus(ClusterFile cluster, ConnectClient connect, Function<String, String> environment) {
        this.cluster = cluster;
        this.connect = connect;
        this.environment = environment;
    }

    /** The status of every node of the cluster file. */
    public List<NodeStatus> gather() {
        MeshTopology mesh = MeshTopology.of(connect.connectors());
        List<NodeStatus> result = new ArrayList<>();
        try (TopicBacklog backlog = new TopicBacklog(cluster.kafka(), Map.of())) {
            for (NodeSpec node : cluster.nodes()) {
                result.add(node(node, mesh, backlog));
            }
        }
        return result;
    }

    private NodeStatus node(NodeSpec node, MeshTopology mesh, TopicBacklog backlog) {
        Optional<Connector> source = mesh.source(node.name().value());
        Optional<Connector> sink = mesh.sink(node.name().value());
        String sourceState = source.map(c -> state(c.name())).orElse("missing");
        String sinkState = sink.map(c -> state(c.name())).orElse("missing");
        List<OriginStatus> origins = new ArrayList<>();
        try (Connection c = open(node)) {
            long captureLag = captureLagBytes(c, node);
            for (NodeSpec peer : cluster.nodes()) {
                if (!peer.name().equals(node.name())) {
                    origins.add(origin(c, node, peer, sink, backlog));
                }
            }
            List<String> names = new ArrayList<>();
            source.ifPresent(x -> names.add(x.name()));
            sink.ifPresent(x -> names.add(x.name()));
            return new NodeStatus(node.name().value(), sourceState, sinkState, captureLag, origins, stalls(c, names), null);
        } catch (SQLException e) {
            return new NodeStatus(node.name().value(), sourceState, sinkState, -1, origins, List.of(),
                    "cannot read " + node.describe() + ": " + e.getMessage());
        }
    }

    /** What the node's connectors last recorded of their progress: the stalled ones. */
    private static List<NodeStatus.Stall> stalls(Connection c, List<String> connectors) throws SQLException {
        List<NodeStatus.Stall> stalls = new ArrayList<>();
        if (connectors.isEmpty() || !hasHealthTable(c)) {
            return stalls;
        }
        try (PreparedStatement s = c.prepareStatement("SELECT connector, stalled_since::text,"
                + " extract(epoch FROM now() - stalled_since)::bigint, waiting_for FROM pgmesh.connector_health"
                + " WHERE connector = ANY (?) AND stalled_since IS NOT NULL ORDER BY connector")) {
            s.setArray(1, c.createArrayOf("text", connectors.toArray()));
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    stalls.add(new NodeStatus.Stall(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getString(4)));
                }
            }
        }
        return stalls;
    }

    private static boolean hasHealthTable(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT to_regclass('pgmesh.connector_health') IS NOT NULL");
             ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private OriginStatus origin(Connection c, NodeSpec node, NodeSpec peer, Optional<Connector> sink,
                                TopicBacklog backlog) throws SQLException {
        String appliedLsn = null;
        String appliedCommit = null;
        long transactions = 0;
        try (PreparedStatement s = c.prepareStatement(
                "SELECT lsn::text, commit_ts::text, transactions FROM pgmesh.applied_origins WHERE origin = ?")) {
            s.setString(1, peer.name().value());
            try (ResultSet rs = s.executeQuery()) {
                if (rs.next()) {
                    appliedLsn = rs.getString(1);
                    appliedCommit = rs.getString(2);
                    transactions = rs.getLong(3);
                }
            }
        }
        long conflicts = longValue(c, "SELECT count(*) FROM pgmesh.conflicts WHERE remote_origin = ?", peer.name().value());
        if (sink.isEmpty()) {
            return new OriginStatus(peer.name().value(), appliedLsn, appliedCommit, transactions, -1, -1, -1, conflicts);
        }
        String topic = cluster.topic(peer.name());
        long stored = storedOffset(c, sink.get().name(), topic);
        Lsn applied = appliedLsn == null ? Lsn.INVALID : Lsn.parse(appliedLsn);
        Backlog waiting = backlog.oldestUnapplied(topic, stored, peer.name(), applied);
        long lagMillis = 0;
        long lagBytes = 0;
        if (waiting.oldest().isPresent()) {
            ChangeHeaders h = waiting.oldest().get();
            lagMillis = Math.max(0, System.currentTimeMillis() - TimeUnit.MICROSECONDS.toMillis(h.originCommitMicros()));
            lagBytes = peerWalSince(peer, h.commitLsn());
        }
        return new OriginStatus(peer.name().value(), appliedLsn, appliedCommit, transactions, lagMillis, lagBytes,
                waiting.recordsBehind(), conflicts);
    }

    /** WAL the peer wrote since {@code lsn}, or -1 when the peer cannot be read. */
    private long peerWalSince(NodeSpec peer, Lsn lsn) {
        try (Connection c = open(peer); PreparedStatement s = c.prepareStatement(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), ?::pg_lsn)::bigint")) {
            s.setString(1, lsn.toString());
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return Math.max(0, rs.getLong(1));
            }
        } catch (SQLException e) {
            return -1;
        }
    }

    private static long captureLagBytes(Connection c, NodeSpec node) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(),"
                + " confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = ?")) {
            s.setString(1, node.name().originName());
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Math.max(0, rs.getLong(1)) : -1;
            }
        }
    }

    private static long storedOffset(Connection c, String connector, String topic) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT next_offset FROM pgmesh.sink_progress"
                + " WHERE connector = ? AND topic = ? AND kafka_partition = 0")) {
            s.setString(1, connector);
            s.setString(2, topic);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    private static long longValue(Connection c, String sql, String parameter) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, parameter);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private Connection open(NodeSpec node) throws SQLException {
        return new PostgresConnector(node.settings(environment)).open("pgmeshctl", "");
    }

    private String state(String connector) {
        JsonNode status = connect.status(connector);
        if (status == null) {
            return "missing";
        }
        List<String> tasks = new ArrayList<>();
        status.path("tasks").forEach(t -> tasks.add(t.path("state").asText()));
        return status.path("connector").path("state").asText() + " " + tasks;
    }
}
