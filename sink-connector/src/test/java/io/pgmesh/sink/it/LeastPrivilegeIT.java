package io.pgmesh.sink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgmesh.common.NodeName;
import io.pgmesh.common.schema.NodeSchema;
import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.PgmeshConfigs;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A two-node mesh whose connectors run as the roles of config-examples/least-privilege.sql (the
 * documented ones, run here as they are), not as a superuser: inserts, updates, deletes and
 * conflicting writes replicate both ways and the nodes end identical.
 */
@Timeout(400)
class LeastPrivilegeIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String DB = "app";
    private static final List<String> NODES = List.of("n1", "n2");
    private static final Map<String, PostgresNode> servers = new LinkedHashMap<>();
    private static ConnectCluster connect;

    @BeforeAll
    static void start() throws Exception {
        String roles = Files.readString(Path.of("..", "config-examples", "least-privilege.sql"), StandardCharsets.UTF_8);
        connect = ConnectCluster.start("least-privilege");
        for (String node : NODES) {
            PostgresNode server = PostgresNode.start(node);
            servers.put(node, server);
            server.createDatabase(DB);
            server.execute(DB, "CREATE TABLE t (id int PRIMARY KEY, v text)", "CREATE TABLE log (line text)");
            try (Connection c = server.connect(DB)) {
                NodeSchema.bootstrap(c, new NodeName(node));   // as pgmeshctl init does, as a superuser
                try (Statement s = c.createStatement()) {
                    s.execute(roles);
                    s.execute("ALTER ROLE pgmesh_source PASSWORD 'source-" + node + "-pw'");
                    s.execute("ALTER ROLE pgmesh_sink PASSWORD 'sink-" + node + "-pw'");
                }
            }
        }
        for (String node : NODES) {
            PostgresNode server = servers.get(node);
            Map<String, String> source = new HashMap<>(PgmeshConfigs.source(server, DB, node, connect.bootstrapServers()));
            source.put("database.user", "pgmesh_source");
            source.put("database.password", "source-" + node + "-pw");
            connect.createConnector("src-" + node, source);
            Map<String, String> sink = new HashMap<>(PgmeshConfigs.sink(server, DB, node,
                    NODES.stream().filter(p -> !p.equals(node)).toList()));
            sink.put("database.user", "pgmesh_sink");
            sink.put("database.password", "sink-" + node + "-pw");
            connect.createConnector("sink-" + node, sink);
        }
        for (String node : NODES) {
            connect.awaitRunning("src-" + node, 1, WAIT);
            connect.awaitRunning("sink-" + node, 1, WAIT);
        }
    }

    @AfterAll
    static void stop() {
        Closeables.closeAll(connect);
        servers.values().forEach(Closeables::closeAll);
    }

    @Test
    void theMeshReplicatesWithTheDocumentedRolesInsteadOfASuperuser() {
        PostgresNode n1 = servers.get("n1");
        PostgresNode n2 = servers.get("n2");
        n1.execute(DB, "INSERT INTO t SELECT g, 'n1 ' || g FROM generate_series(1, 50) AS g",
                "INSERT INTO log VALUES ('from n1')");
        n2.execute(DB, "INSERT INTO t SELECT g, 'n2 ' || g FROM generate_series(101, 150) AS g",
                "INSERT INTO log VALUES ('from n2')");
        awaitIdentical("100");
        n1.execute(DB, "UPDATE t SET v = 'updated on n1' WHERE id <= 10", "DELETE FROM t WHERE id BETWEEN 101 AND 110");
        n2.execute(DB, "UPDATE t SET v = 'updated on n2' WHERE id BETWEEN 5 AND 15", "DELETE FROM t WHERE id > 140");
        awaitIdentical("80");
        for (String node : NODES) {
            assertEquals("f", servers.get(node).queryValue(DB, "SELECT bool_or(r.rolsuper) FROM pg_stat_activity AS a"
                    + " JOIN pg_roles AS r ON r.rolname = a.usename WHERE a.usename LIKE 'pgmesh\\_%'"),
                    "the connectors' sessions on " + node + " are not superuser sessions");
            assertEquals("2", servers.get(node).queryValue(DB, "SELECT count(DISTINCT usename) FROM pg_stat_activity"
                    + " WHERE usename IN ('pgmesh_source', 'pgmesh_sink')"), "both roles connected to " + node);
        }
    }

    private static void awaitIdentical(String rows) {
        String digest = "SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) || ':' || count(*) FROM t";
        String logs = "SELECT string_agg(line, ',' ORDER BY line) FROM log";
        Awaitility.await("both nodes identical with " + rows + " rows").atMost(WAIT).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    for (String node : NODES) {
                        connect.assertNotFailed("src-" + node);
                        connect.assertNotFailed("sink-" + node);
                    }
                    String d1 = servers.get("n1").queryValue(DB, digest);
                    return d1.endsWith(":" + rows) && d1.equals(servers.get("n2").queryValue(DB, digest))
                            && "from n1,from n2".equals(servers.get("n1").queryValue(DB, logs))
                            && "from n1,from n2".equals(servers.get("n2").queryValue(DB, logs));
                });
    }
}
