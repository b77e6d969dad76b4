package io.pgmesh.sink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.envelope.Operation;
import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.Mesh;
import io.pgmesh.testkit.PgmeshConfigs;
import io.pgmesh.testkit.TypesTable;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.connect.NodeTopic;
import io.pgmesh.testkit.connect.NodeTopic.Decoded;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/** Two nodes that both take writes, through a real broker and Connect worker. */
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoNodeMeshIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static ConnectCluster connect;
    private static Mesh mesh;

    @BeforeAll
    static void startMesh() {
        connect = ConnectCluster.start("mesh2");
        mesh = Mesh.start(connect, List.of("n1", "n2"), List.of(
                "CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2), note text)",
                TypesTable.DDL), PgmeshConfigs::exactlyOnce, c -> c);
    }

    @AfterAll
    static void stopMesh() {
        Closeables.closeAll(mesh, connect);
    }

    private static PostgresNode n1() {
        return mesh.server("n1");
    }

    private static PostgresNode n2() {
        return mesh.server("n2");
    }

    @Test
    @Order(0)
    void badSinkConfigurationIsRefusedOnTheKeyToFix() {
        Map<String, String> ownTopic = new java.util.HashMap<>(PgmeshConfigs.sink(n1(), Mesh.DATABASE, "n1", List.of("n1", "n2")));
        assertTrue(errors(ownTopic, "topics").get(0).contains("this node's own topic"));

        Map<String, String> wrongPassword = new java.util.HashMap<>(PgmeshConfigs.sink(n1(), Mesh.DATABASE, "n1", List.of("n2")));
        wrongPassword.put("database.password", "wrong-secret-7781");
        ConnectCluster.Response refused = connect.putConnector("bad-sink", wrongPassword);
        assertEquals(400, refused.status());
        assertTrue(refused.text().contains("database.password") && !refused.text().contains("wrong-secret-7781"),
                refused.text());

        n1().execute(Mesh.DATABASE, "CREATE ROLE applier LOGIN PASSWORD 'applier-pw'");
        Map<String, String> plainRole = new java.util.HashMap<>(PgmeshConfigs.sink(n1(), Mesh.DATABASE, "n1", List.of("n2")));
        plainRole.put("database.user", "applier");
        plainRole.put("database.password", "applier-pw");
        assertTrue(errors(plainRole, "database.user").get(0).contains("may not apply under a replication origin"));

        try (PostgresNode noTimestamps = PostgresNode.builder("no-ts").setting("track_commit_timestamp", "off").start()) {
            List<String> host = errors(PgmeshConfigs.sink(noTimestamps, "postgres", "n9", List.of("n1")), "database.host");
            assertTrue(host.get(0).contains("track_commit_timestamp is off"), host.toString());
        }
    }

    private static List<String> errors(Map<String, String> config, String key) {
        ConnectCluster.Response r = connect.validate(PgmeshConfigs.SINK_CLASS, config);
        assertEquals(200, r.status(), r.text());
        List<String> errors = new java.util.ArrayList<>();
        for (var c : r.body().path("configs")) {
            if (key.equals(c.path("value").path("name").asText())) {
                c.path("value").path("errors").forEach(e -> errors.add(e.asText()));
            }
        }
        return errors;
    }

    @Test
    @Order(1)
    void writesOnBothNodesReachTheOtherAndEachChangeIsForwardedOnce() {
        n1().execute(Mesh.DATABASE, "INSERT INTO accounts SELECT g, 'n1-' || g, g * 10, NULL FROM generate_series(1, 50) g");
        n2().execute(Mesh.DATABASE, "INSERT INTO accounts SELECT g, 'n2-' || g, g * 10, NULL FROM generate_series(51, 100) g");
        n1().execute(Mesh.DATABASE, "UPDATE accounts SET balance = balance + 1 WHERE id <= 10",
                "DELETE FROM accounts WHERE id BETWEEN 41 AND 45");
        n2().execute(Mesh.DATABASE, "UPDATE accounts SET note = 'touched by n2' WHERE id > 90",
                "BEGIN; DELETE FROM accounts WHERE id = 99; UPDATE accounts SET owner = 'moved' WHERE id = 60; COMMIT");
        mesh.awaitSynced(WAIT);

        assertEquals(mesh.digest("n1", "accounts"), mesh.digest("n2", "accounts"));
        assertEquals("94", n2().queryValue(Mesh.DATABASE, "SELECT count(*) FROM accounts"));
        assertEquals("touched by n2", n1().queryValue(Mesh.DATABASE, "SELECT note FROM accounts WHERE id = 95"));

        Awaitility.await("forwarded copies in both topics").atMost(WAIT).pollInterval(Duration.ofSeconds(1))
                .until(() -> rowChangesByOrigin("pgmesh.n1").equals(rowChangesByOrigin("pgmesh.n2")));
        Map<String, Long> n1Topic = rowChangesByOrigin("pgmesh.n1");
        assertEquals(Map.of("n1", 65L, "n2", 62L), n1Topic,
                "every change once in its origin's topic and once as the copy the peer forwarded");
    }

    @Test
    @Order(2)
    void concurrentUpdatesConvergeToTheLaterCommitAndEachNodeLogsTheConflictOnce() throws Exception {
        n1().execute(Mesh.DATABASE, "INSERT INTO accounts VALUES (1000, 'shared', 0, 'original')");
        mesh.awaitSynced(WAIT);
        connect.pauseConnector("sink-n1", WAIT);
        connect.pauseConnector("sink-n2", WAIT);
        CyclicBarrier together = new CyclicBarrier(2);
        Thread other = new Thread(() -> updateAtOnce(n2(), together, "written on n2"));
        other.start();
        updateAtOnce(n1(), together, "written on n1");
        other.join();
        long n1Time = commitMicros(n1());
        long n2Time = commitMicros(n2());
        String winner = n1Time > n2Time ? "n1" : "n2";
        connect.resumeConnector("sink-n1", WAIT);
        connect.resumeConnector("sink-n2", WAIT);
        mesh.awaitSynced(WAIT);

        for (PostgresNode node : List.of(n1(), n2())) {
            assertEquals("written on " + winner, node.queryValue(Mesh.DATABASE, "SELECT note FROM accounts WHERE id = 1000"));
            assertEquals(List.of(List.of("update_origin_differs", "{\"id\": \"1000\"}")), node.query(Mesh.DATABASE,
                    "SELECT conflict_type, key::text FROM pgmesh.conflicts WHERE key = '{\"id\": \"1000\"}'"),
                    "one conflict logged on " + node.name());
        }
        String loser = winner.equals("n1") ? "n2" : "n1";
        assertEquals("keep_local", mesh.server(winner).queryValue(Mesh.DATABASE,
                "SELECT resolution FROM pgmesh.conflicts WHERE key = '{\"id\": \"1000\"}'"));
        assertEquals("apply_remote", mesh.server(loser).queryValue(Mesh.DATABASE,
                "SELECT resolution FROM pgmesh.conflicts WHERE key = '{\"id\": \"1000\"}'"));
        assertEquals(mesh.digest("n1", "accounts"), mesh.digest("n2", "accounts"));
    }

    @Test
    @Order(3)
    void everyColumnTypeReplicatesInsertedUpdatedMovedAndDeletedOnEveryNode() {
        for (PostgresNode writer : List.of(n1(), n2())) {
            PostgresNode other = writer == n1() ? n2() : n1();
            writer.execute(Mesh.DATABASE, TypesTable.ROWS, TypesTable.ROW_WITH_NUL_ESCAPE);
            assertTypesTablesEqual(4);
            other.execute(Mesh.DATABASE, "UPDATE alltypes SET c_text = coalesce(c_text, '') || ' updated',"
                    + " c_int4 = coalesce(c_int4, 0) - 1");
            assertTypesTablesEqual(4);
            writer.execute(Mesh.DATABASE, "UPDATE alltypes SET id = id + 100");
            assertTypesTablesEqual(4);
            other.execute(Mesh.DATABASE, "DELETE FROM alltypes WHERE id = 110");
            assertTypesTablesEqual(3);
            writer.execute(Mesh.DATABASE, "DELETE FROM alltypes");
            assertTypesTablesEqual(0);
        }
        n1().execute(Mesh.DATABASE, TypesTable.ROWS);
        assertTypesTablesEqual(3);
    }

    /** Waits for both nodes to have everything, then compares the types table as text on both. */
    private static void assertTypesTablesEqual(int rows) {
        mesh.awaitSynced(WAIT);
        List<List<String>> onN1 = n1().query(Mesh.DATABASE, TypesTable.SELECT_AS_TEXT);
        assertEquals(rows, onN1.size(), onN1.toString());
        assertEquals(onN1, n2().query(Mesh.DATABASE, TypesTable.SELECT_AS_TEXT));
    }

    @Test
    @Order(4)
    void aChangeForATableThisNodeLacksWaitsForItAndApplyResumesOnceItIsThere() throws InterruptedException {
        n1().execute(Mesh.DATABASE, "SET pgmesh.ddl_replication = off", "CREATE TABLE late (id int PRIMARY KEY, v text)",
                "SELECT pgmesh.repset_add_table('default', 'late')",
                "INSERT INTO late VALUES (1, 'a'), (2, 'b')", "INSERT INTO late VALUES (3, 'c')");
        Thread.sleep(5000);
        connect.assertNotFailed("sink-n2");
        n1().execute(Mesh.DATABASE, "UPDATE accounts SET note = 'while n2 waits' WHERE id = 1");

        n2().execute(Mesh.DATABASE, "SET pgmesh.ddl_replication = off", "CREATE TABLE late (id int PRIMARY KEY, v text)",
                "SELECT pgmesh.repset_add_table('default', 'late')");
        mesh.awaitSynced(WAIT);
        assertEquals(mesh.digest("n1", "late"), mesh.digest("n2", "late"));
        assertEquals("3", n2().queryValue(Mesh.DATABASE, "SELECT count(*) FROM late"));
        assertEquals("while n2 waits", n2().queryValue(Mesh.DATABASE, "SELECT note FROM accounts WHERE id = 1"));
    }

    @Test
    @Order(5)
    void whenTheTableNeverComesTheTaskFailsNamingItAndAfterTheFixNothingIsLost() {
        Map<String, String> impatient = new java.util.HashMap<>(PgmeshConfigs.sink(n2(), Mesh.DATABASE, "n2", List.of("n1")));
        impatient.put("retry.timeout.ms", "3000");
        assertTrue(connect.putConnector("sink-n2", impatient).ok());
        n1().execute(Mesh.DATABASE, "SET pgmesh.ddl_replication = off", "CREATE TABLE later (id int PRIMARY KEY, v text)",
                "SELECT pgmesh.repset_add_table('default', 'later')", "INSERT INTO later VALUES (1, 'a')");
        String trace = connect.awaitTaskFailed("sink-n2", WAIT);
        assertTrue(trace.contains("\"public\".\"later\" does not exist on node n2")
                && trace.contains("Gave up after waiting"), trace);
        n1().execute(Mesh.DATABASE, "INSERT INTO later VALUES (2, 'written while n2 was stopped')",
                "UPDATE accounts SET note = 'after the failure' WHERE id = 1");

        n2().execute(Mesh.DATABASE, "SET pgmesh.ddl_replication = off", "CREATE TABLE later (id int PRIMARY KEY, v text)",
                "SELECT pgmesh.repset_add_table('default', 'later')");
        assertTrue(connect.putConnector("sink-n2", PgmeshConfigs.sink(n2(), Mesh.DATABASE, "n2", List.of("n1"))).ok());
        connect.restartFailed("sink-n2");
        mesh.awaitSynced(WAIT);
        assertEquals(mesh.digest("n1", "later"), mesh.digest("n2", "later"));
        assertEquals("2", n2().queryValue(Mesh.DATABASE, "SELECT count(*) FROM later"));
        assertEquals("after the failure", n2().queryValue(Mesh.DATABASE, "SELECT note FROM accounts WHERE id = 1"));
    }

    @Test
    @Order(6)
    void onceIdleNothingMoreIsProducedButEachNodesOwnHeartbeats() throws Exception {
        mesh.awaitSynced(WAIT);
        Thread.sleep(3000);
        long n1End = NodeTopic.readAll(connect.bootstrapServers(), "pgmesh.n1").size();
        long n2End = NodeTopic.readAll(connect.bootstrapServers(), "pgmesh.n2").size();
        Thread.sleep(30_000);
        for (String node : List.of("n1", "n2")) {
            List<Decoded> all = NodeTopic.readAll(connect.bootstrapServers(), "pgmesh." + node);
            List<Decoded> since = all.subList((int) (node.equals("n1") ? n1End : n2End), all.size());
            assertTrue(since.stream().allMatch(r -> r.headers().op() == Operation.HEARTBEAT
                    && r.headers().originNode().value().equals(node)), "only " + node + "'s own heartbeats: " + since);
            assertTrue(!since.isEmpty(), "heartbeats keep coming");
        }
    }

    private static Map<String, Long> rowChangesByOrigin(String topic) {
        return NodeTopic.readAll(connect.bootstrapServers(), topic).stream()
                .filter(r -> r.headers().op() != Operation.HEARTBEAT && r.headers().op() != Operation.MESSAGE)
                .filter(r -> r.key().table() != null && r.key().table().table().equals("accounts"))
                .collect(Collectors.groupingBy(r -> r.headers().originNode().value(), Collectors.counting()));
    }

    private static void updateAtOnce(PostgresNode node, CyclicBarrier together, String note) {
        try {
            together.await();
            node.execute(Mesh.DATABASE, "UPDATE accounts SET note = '" + note + "' WHERE id = 1000");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static long commitMicros(PostgresNode node) {
        return Long.parseLong(node.queryValue(Mesh.DATABASE,
                "SELECT pgmesh.micros(pg_xact_commit_timestamp(xmin)) FROM accounts WHERE id = 1000"));
    }
}
