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
import io.pgmesh.testkit.postgres.PostgresNode;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
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
        PgbenchWriter writer = new PgbenchWriter(mesh.server("n1"));
        writer.start();
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
    }

    @Test
    @Order(2)
    void resettingTheOffsetsTakesANewSnapshotThatChangesNothing() {
        String before = mesh.digest("n2", "history");
        // through the REST API: PUT /connectors/src-n1/stop, DELETE .../offsets, PUT .../resume
        connect.embedded().stopConnector("src-n1");
        Awaitility.await("src-n1 stopped, its task gone").atMost(WAIT).until(() -> {
            var status = connect.status("src-n1");
            return "STOPPED".equals(status.path("connector").path("state").asText()) && status.path("tasks").isEmpty();
        });
        connect.embedded().resetConnectorOffsets("src-n1");
        assertEquals(List.of(), connect.embedded().connectorOffsets("src-n1").offsets(), "src-n1 has no stored offset");
        connect.embedded().resumeConnector("src-n1");
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

    /** TPC-B-like transactions on one node, as fast as one connection goes, until stopped. */
    private static final class PgbenchWriter {
        private final PostgresNode server;
        private final AtomicBoolean stopped = new AtomicBoolean();
        private final AtomicInteger committed = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread = new Thread(this::run, "pgbench-writer");

        PgbenchWriter(PostgresNode server) {
            this.server = server;
        }

        void start() {
            thread.start();
        }

        private void run() {
            try (Connection c = server.connect(Mesh.DATABASE)) {
                c.setAutoCommit(false);
                try (PreparedStatement account = c.prepareStatement(
                        "UPDATE accounts SET abalance = abalance + ? WHERE aid = ?");
                     PreparedStatement branch = c.prepareStatement(
                             "UPDATE branches SET bbalance = bbalance + ? WHERE bid = ?");
                     PreparedStatement history = c.prepareStatement(
                             "INSERT INTO history VALUES (1, ?, ?, ?, now(), NULL)")) {
                    while (!stopped.get()) {
                        ThreadLocalRandom random = ThreadLocalRandom.current();
                        int aid = 101 + random.nextInt(ACCOUNTS - 100);
                        int bid = 1 + random.nextInt(10);
                        int delta = random.nextInt(-5000, 5001);
                        account.setInt(1, delta);
                        account.setInt(2, aid);
                        account.executeUpdate();
                        branch.setInt(1, delta);
                        branch.setInt(2, bid);
                        branch.executeUpdate();
                        history.setInt(1, bid);
                        history.setInt(2, aid);
                        history.setInt(3, delta);
                        history.executeUpdate();
                        c.commit();
                        committed.incrementAndGet();
                        Thread.sleep(2);
                    }
                }
            } catch (Exception e) {
                failure.set(e);
            }
        }

        int stop() throws InterruptedException {
            stopped.set(true);
            thread.join(30_000);
            if (failure.get() != null) {
                throw new AssertionError("the writer failed", failure.get());
            }
            return committed.get();
        }
    }
}
