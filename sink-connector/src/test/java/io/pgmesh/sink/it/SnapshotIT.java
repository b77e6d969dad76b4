package io.pgmesh.sink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.TableId;
import io.pgmesh.common.envelope.LogicalMessage;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.Mesh;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.connect.NodeTopic;
import io.pgmesh.testkit.connect.NodeTopic.Decoded;
import io.pgmesh.testkit.workload.TpcbWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import javax.management.ObjectName;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * An existing database joins: n1 already holds pgbench-like tables full of rows (and keeps taking
 * pgbench-like writes while its source copies them), n2 has the same tables, empty. The initial
 * snapshot plus the stream make n2 identical; resetting the source's offsets asks for a new
 * snapshot, which changes nothing on n2.
 */
@Timeout(600)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SnapshotIT {

    private static final Duration WAIT = Duration.ofSeconds(240);
    private static final int ACCOUNTS = 30_000;
    private static final List<String> TABLES = List.of("branches", "accounts", "history");
    private static ConnectCluster connect;
    private static Mesh mesh;

    @BeforeAll
    static void startMesh() {
        connect = ConnectCluster.start("snapshot");
        mesh = Mesh.start(connect, List.of("n1", "n2"), List.of(
                "CREATE TABLE branches (bid int PRIMARY KEY, bbalance int NOT NULL, filler char(88))",
                "CREATE TABLE accounts (aid int PRIMARY KEY, bid int NOT NULL, abalance int NOT NULL, filler char(84))",
                "CREATE TABLE history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))"),
                (node, server) -> {
                    if (node.equals("n1")) {
                        server.execute(Mesh.DATABASE,
                                "INSERT INTO branches SELECT b, 0, 'branch ' || b FROM generate_series(1, 10) AS b",
                                "INSERT INTO accounts SELECT a, 1 + a % 10, 0, 'tab\tnewline\nquote''' || a"
                                        + " FROM generate_series(1, " + ACCOUNTS + ") AS a",
                                "INSERT INTO history SELECT 1, 1, a, a, '2020-01-01', NULL FROM generate_series(1, 500) AS a",
                                "UPDATE accounts SET abalance = 7 WHERE aid <= 100");
                    }
                }, c -> {
                    c.put("snapshot.transaction.rows", "2000");
                    return c;
                }, c -> c);
    }

    @AfterAll
    static void stopMesh() {
        Closeables.closeAll(mesh, connect);
    }

    @Test
    @Order(1)
    void theSnapshotAndTheStreamMakeThePeerIdenticalUnderWrites() throws Exception {
        TpcbWriter writer = TpcbWriter.start(mesh.server("n1"), Mesh.DATABASE, "", 101, ACCOUNTS, 10, 2);
        Awaitility.await("the snapshot of n1 is in its topic").atMost(WAIT).pollInterval(Duration.ofSeconds(1))
                .until(() -> !snapshotsDone("pgmesh.n1").isEmpty());
        Thread.sleep(2000);
        int transactions = writer.stop();
        assertTrue(transactions > 0, "the writer committed transactions during the snapshot");
        mesh.awaitSynced(WAIT);
        for (String table : TABLES) {
            assertEquals(mesh.digest("n1", table), mesh.digest("n2", table), table);
        }

        List<Decoded> topic = NodeTopic.readAll(connect.bootstrapServers(), "pgmesh.n1");
        List<Decoded> rows = topic.stream().filter(d -> d.headers().snapshot() && d.headers().op() == Operation.INSERT)
                .toList();
        assertTrue(rows.size() >= ACCOUNTS + 510, "every row of n1 was copied: " + rows.size());
        Decoded updated = rows.stream().filter(d -> d.key().table() != null
                && d.key().table().equals(new TableId("public", "accounts"))
                && d.key().columns().get(0).value().equals("5")).findFirst().orElseThrow();
        long micros = Long.parseLong(mesh.server("n1").queryValue(Mesh.DATABASE,
                "SELECT pgmesh.micros(pg_xact_commit_timestamp(xmin)) FROM accounts WHERE aid = 5 AND abalance = 7"));
        assertEquals(micros, updated.headers().originCommitMicros(), "a copied row carries its own commit time");
        assertEquals("0", mesh.server("n2").queryValue(Mesh.DATABASE,
                "SELECT count(*) FROM pgmesh.conflicts WHERE table_name IN ('accounts', 'branches', 'history')"));

        // the snapshot's progress, as JMX shows it: kafka.connect:type=plugins,connector=src-n1,task=0
        assertEquals(1L, sourceMetric("snapshot-completed"));
        assertEquals(0L, sourceMetric("snapshot-running"));
        assertTrue(sourceMetric("snapshot-tables-copied") >= TABLES.size());
        assertEquals(sourceMetric("snapshot-tables-total"), sourceMetric("snapshot-tables-copied"));
        assertEquals(ACCOUNTS + 10 + 500L, sourceMetric("snapshot-rows-copied"), "every row n1 held at the snapshot");

        // and what n2's sink applied: kafka.connect:type=plugins,connector=sink-n2,task=0[,tag=...]
        assertEquals(ACCOUNTS + 10 + 500L, metric("sink-n2", "", "applied-snapshot-rows-total"));
        assertTrue(metric("sink-n2", "", "applied-transactions-total") >= transactions,
                "every writer transaction (and the sync rows) counted");
        assertEquals(0L, metric("sink-n2", ",conflict=insert_exists", "conflicts-total"));
        long lag = metric("sink-n2", ",origin=n1", "apply-lag-ms");
        assertTrue(lag >= 0 && lag < WAIT.toMillis(), "apply lag " + lag);
        assertTrue(metric("sink-n2", ",reason=not_a_row_change", "filtered-records-total") > 0, "heartbeats passed over");
    }

    private static long sourceMetric(String name) throws Exception {
        return metric("src-n1", "", name);
    }

    private static long metric(String connector, String tags, String name) throws Exception {
        Object value = ManagementFactory.getPlatformMBeanServer().getAttribute(
                new ObjectName("kafka.connect:type=plugins,connector=" + connector + ",task=0" + tags), name);
        return ((Number) value).longValue();
    }

    @Test
    @Order(2)
    void resettingTheOffsetsTakesANewSnapshotThatChangesNothing() {
        String before = mesh.digest("n2", "history");
        // through the REST API: PUT /connectors/src-n1/stop, DELETE .../offsets, PUT .../resume
        connect.stopConnector("src-n1", WAIT);
        connect.resetOffsets("src-n1");
        assertEquals(0, connect.offsets("src-n1").size(), "src-n1 has no stored offset");
        connect.resumeConnector("src-n1", WAIT);
        Awaitility.await("a second snapshot of n1").atMost(WAIT).pollInterval(Duration.ofSeconds(1))
                .until(() -> snapshotsDone("pgmesh.n1").size() == 2);
        mesh.server("n1").execute(Mesh.DATABASE, "UPDATE accounts SET abalance = abalance + 1 WHERE aid = 1");
        mesh.awaitSynced(WAIT);
        for (String table : TABLES) {
            assertEquals(mesh.digest("n1", table), mesh.digest("n2", table), table);
        }
        assertEquals(before, mesh.digest("n2", "history"), "keyless rows were not copied twice");
    }

    private static List<String> snapshotsDone(String topic) {
        return NodeTopic.readAll(connect.bootstrapServers(), topic).stream()
                .filter(d -> d.value() instanceof LogicalMessage m && m.prefix().equals("pgmesh.snapshot"))
                .map(d -> new String(((LogicalMessage) d.value()).content(), StandardCharsets.UTF_8)).toList();
    }
}
