package io.pgmesh.testkit;

import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.awaitility.Awaitility;

/**
 * A pgmesh cluster for tests: one real PostgreSQL server per node (replication origins are
 * server-wide, so nodes never share one), each with a source and a sink connector in the given
 * Connect cluster, created through REST. Node topics are created first, so sinks see them at once.
 */
public final class Mesh implements AutoCloseable {

    public static final String DATABASE = "app";
    private static final String SYNC_TABLE = "public.mesh_sync";

    private final ConnectCluster connect;
    private final Map<String, PostgresNode> servers = new LinkedHashMap<>();

    private Mesh(ConnectCluster connect) {
        this.connect = connect;
    }

    /**
     * Starts servers for {@code nodes}, runs {@code schema} on each (every node needs the same
     * tables), then creates every node's source and sink.
     *
     * @param sourceConfig adjusts each source's configuration; {@code sinkConfig} each sink's
     */
    public static Mesh start(ConnectCluster connect, List<String> nodes, List<String> schema,
                             UnaryOperator<Map<String, String>> sourceConfig,
                             UnaryOperator<Map<String, String>> sinkConfig) {
        return start(connect, nodes, schema, (node, server) -> { }, sourceConfig, sinkConfig);
    }

    /**
     * As {@link #start(ConnectCluster, List, List, UnaryOperator, UnaryOperator)}, with
     * {@code prepare} run on each node's server after the schema and before any connector exists
     * (to give a node data of its own, for instance).
     */
    public static Mesh start(ConnectCluster connect, List<String> nodes, List<String> schema,
                             java.util.function.BiConsumer<String, PostgresNode> prepare,
                             UnaryOperator<Map<String, String>> sourceConfig,
                             UnaryOperator<Map<String, String>> sinkConfig) {
        Mesh mesh = new Mesh(connect);
        try {
            for (String node : nodes) {
                PostgresNode server = PostgresNode.start(node);
                mesh.servers.put(node, server);
                server.createDatabase(DATABASE);
                List<String> ddl = new ArrayList<>(schema);
                ddl.add("CREATE TABLE " + SYNC_TABLE + " (node text PRIMARY KEY, token text NOT NULL)");
                server.execute(DATABASE, ddl.toArray(String[]::new));
                prepare.accept(node, server);
            }
            for (String node : nodes) {
                connect.createConnector("src-" + node, sourceConfig.apply(
                        PgmeshConfigs.source(mesh.servers.get(node), DATABASE, node, connect.bootstrapServers())));
            }
            for (String node : nodes) {
                // a running source has created its topic: the sinks find it when they subscribe
                connect.awaitRunning("src-" + node, 1, Duration.ofSeconds(90));
            }
            for (String node : nodes) {
                List<String> peers = nodes.stream().filter(n -> !n.equals(node)).toList();
                Map<String, String> sink = new java.util.HashMap<>(PgmeshConfigs.sink(mesh.servers.get(node), DATABASE,
                        node, peers));
                sink.put("kafka.bootstrap.servers", connect.bootstrapServers());
                connect.createConnector("sink-" + node, sinkConfig.apply(sink));
            }
            for (String node : nodes) {
                connect.awaitRunning("sink-" + node, nodes.size() - 1, Duration.ofSeconds(90));
                mesh.awaitSlot(node);
            }
            return mesh;
        } catch (RuntimeException e) {
            mesh.close();
            throw e;
        }
    }

    /** Waits until the node's source created its slot: what is committed before is not streamed. */
    private void awaitSlot(String node) {
        Awaitility.await("slot of " + node).atMost(Duration.ofSeconds(90)).until(() -> !servers.get(node).query(
                "postgres", "SELECT 1 FROM pg_replication_slots WHERE slot_name = 'pgmesh_" + node
                        + "' AND confirmed_flush_lsn IS NOT NULL").isEmpty());
    }

    /**
     * Counts {@code server} in as node {@code node} (its connectors named src-node and sink-node,
     * created by the caller), for {@link #awaitSynced} and the digests; creates its sync table.
     * The mesh closes it.
     */
    public void adopt(String node, PostgresNode server) {
        servers.put(node, server);
        createSyncTable(node);
    }

    /** Creates the sync table {@link #awaitSynced} uses in a node's (recreated) database. */
    public void createSyncTable(String node) {
        servers.get(node).execute(DATABASE, "CREATE TABLE IF NOT EXISTS " + SYNC_TABLE
                + " (node text PRIMARY KEY, token text NOT NULL)");
    }

    public PostgresNode server(String node) {
        return servers.get(node);
    }

    public List<String> nodes() {
        return List.copyOf(servers.keySet());
    }

    /**
     * Waits until every node has applied everything every other node committed before this call:
     * each node writes a fresh token into {@code mesh_sync}, and every node must show every token.
     * Changes of one origin are applied in their commit order, so seeing a node's token means
     * having applied all that node committed before it.
     */
    public void awaitSynced(Duration timeout) {
        Map<String, String> tokens = new LinkedHashMap<>();
        for (String node : servers.keySet()) {
            String token = UUID.randomUUID().toString();
            tokens.put(node, token);
            servers.get(node).execute(DATABASE, "INSERT INTO " + SYNC_TABLE + " VALUES ('" + node + "', '" + token
                    + "') ON CONFLICT (node) DO UPDATE SET token = EXCLUDED.token");
        }
        Awaitility.await("every node applied every other node's changes").atMost(timeout)
                .pollInterval(Duration.ofMillis(500)).until(() -> {
                    for (String node : servers.keySet()) {
                        connect.assertNotFailed("sink-" + node);
                        connect.assertNotFailed("src-" + node);
                        Map<String, String> seen = new LinkedHashMap<>();
                        servers.get(node).query(DATABASE, "SELECT node, token FROM " + SYNC_TABLE)
                                .forEach(r -> seen.put(r.get(0), r.get(1)));
                        if (!seen.equals(tokens)) {
                            return false;
                        }
                    }
                    return true;
                });
    }

    /** The ordered md5 of every row of {@code table} on {@code node}: equal means identical. */
    public String digest(String node, String table) {
        return servers.get(node).queryValue(DATABASE, "SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text),"
                + " '')) || ':' || count(*) FROM " + table + " AS t");
    }

    /** The digests of {@code table} on every node, by node. */
    public Map<String, String> digests(String table) {
        Map<String, String> digests = new LinkedHashMap<>();
        for (String node : servers.keySet()) {
            digests.put(node, digest(node, table));
        }
        return digests;
    }

    /**
     * The rows of {@code table} that are not the same on every node, by the text of {@code key}:
     * each node's row as text, or null where the node has none. Empty when the nodes agree.
     */
    public Map<String, Map<String, String>> differences(String table, String key) {
        Map<String, Map<String, String>> byKey = new java.util.TreeMap<>();
        for (String node : servers.keySet()) {
            for (List<String> row : servers.get(node).query(DATABASE, "SELECT (" + key + ")::text, t::text FROM "
                    + table + " AS t")) {
                byKey.computeIfAbsent(row.get(0), k -> new LinkedHashMap<>()).put(node, row.get(1));
            }
        }
        Map<String, Map<String, String>> differing = new java.util.TreeMap<>();
        byKey.forEach((k, rows) -> {
            Map<String, String> all = new LinkedHashMap<>();
            servers.keySet().forEach(node -> all.put(node, rows.get(node)));
            if (all.values().stream().distinct().count() > 1) {
                differing.put(k, all);
            }
        });
        return differing;
    }

    @Override
    public void close() {
        for (String node : servers.keySet()) {
            for (String connector : List.of("sink-" + node, "src-" + node)) {
                try {
                    connect.delete("connectors/" + connector);
                } catch (RuntimeException ignored) {
                    // the cluster may be gone already
                }
            }
        }
        servers.values().forEach(PostgresNode::close);
        servers.clear();
    }
}
