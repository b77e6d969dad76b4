package io.pgmesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * pgmeshctl against a real Connect cluster and two real PostgreSQL servers, driven by a cluster
 * file: init prepares the nodes, apply creates working connectors, status shows a lag that grows
 * while a sink is paused and is zero once it caught up, wait-sync returns only once the peer has
 * the rows, remove-node takes a node out.
 */
@Timeout(600)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PgmeshctlIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String DB = "app";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static ConnectCluster connect;
    private static PostgresNode n1;
    private static PostgresNode n2;
    private static Path cluster;

    @TempDir
    static Path files;

    @BeforeAll
    static void start() throws Exception {
        connect = ConnectCluster.start("pgmeshctl");
        n1 = PostgresNode.start("n1");
        n2 = PostgresNode.start("n2");
        for (PostgresNode n : List.of(n1, n2)) {
            n.createDatabase(DB);
            n.execute(DB, "CREATE TABLE items (id int PRIMARY KEY, v text)");
        }
        cluster = Files.writeString(files.resolve("mesh.yaml"), """
                connect: %s
                kafka: %s
                source:
                  heartbeat.interval.ms: 1000
                  topic.replication.factor: 1
                  stall.timeout.ms: 20000
                sink:
                  retry.backoff.ms: 200
                  stall.timeout.ms: 20000
                nodes:
                  - name: n1
                    host: %s
                    port: %d
                    database: app
                    user: postgres
                    passwordEnv: N1_PASSWORD
                    sslmode: disable
                  - name: n2
                    host: %s
                    port: %d
                    database: app
                    user: postgres
                    passwordEnv: N2_PASSWORD
                    sslmode: disable
                """.formatted(connect.restUrl(), connect.bootstrapServers(), n1.host(), n1.port(), n2.host(), n2.port()));
    }

    @AfterAll
    static void stop() {
        Closeables.closeAll(n1, n2, connect);
    }

    @Test
    @Order(1)
    void initPreparesEveryNodeAndApplyCreatesWorkingConnectors() {
        Result init = pgmeshctl("init");
        assertEquals(0, init.status(), init.output());
        for (PostgresNode n : List.of(n1, n2)) {
            assertEquals(n.name(), n.queryValue(DB, "SELECT pgmesh.local_node()"));
        }
        Result plan = pgmeshctl("plan", "--show-config");
        assertEquals(0, plan.status(), plan.output());
        assertTrue(plan.output().contains("create    pgmesh-source-n1"), plan.output());
        assertTrue(plan.output().contains("database.password = ********"), plan.output());
        assertFalse(plan.output().contains(n1.superuserPassword()), "a password in plan's output");

        Result apply = pgmeshctl("apply");
        assertEquals(0, apply.status(), apply.output());
        assertTrue(apply.output().contains("4 connectors running"), apply.output());
        n1.execute(DB, "INSERT INTO items VALUES (1, 'from n1')");
        n2.execute(DB, "INSERT INTO items VALUES (2, 'from n2')");
        Awaitility.await("rows replicated both ways").atMost(WAIT).until(() ->
                n1.queryValue(DB, "SELECT count(*) FROM items").equals("2")
                        && n2.queryValue(DB, "SELECT count(*) FROM items").equals("2"));

        Result again = pgmeshctl("plan");
        assertEquals(0, again.status(), again.output());
        assertEquals(4, again.output().lines().filter(l -> l.startsWith("unchanged")).count(), again.output());
    }

    @Test
    @Order(2)
    void statusShowsALagThatGrowsWhileASinkIsPausedAndIsZeroOnceItCaughtUp() throws Exception {
        connect.pauseConnector("pgmesh-sink-n2", WAIT);
        n1.execute(DB, "INSERT INTO items SELECT g, 'while paused' FROM generate_series(100, 199) AS g");
        Thread.sleep(1500);
        JsonNode first = lagOf("n2", "n1");
        Thread.sleep(2500);
        JsonNode second = lagOf("n2", "n1");
        assertTrue(first.path("lagMillis").asLong() > 1000, first.toString());
        assertTrue(second.path("lagMillis").asLong() >= first.path("lagMillis").asLong() + 2000, second.toString());
        assertTrue(second.path("lagBytes").asLong() > 0, second.toString());
        assertTrue(second.path("recordsBehind").asLong() >= 100, second.toString());

        connect.resumeConnector("pgmesh-sink-n2", WAIT);
        Awaitility.await("n2 caught up").atMost(WAIT).until(() -> n2.queryValue(DB, "SELECT count(*) FROM items")
                .equals("102"));
        Awaitility.await("status says n2 has no lag behind n1").atMost(WAIT).pollInterval(Duration.ofSeconds(1))
                .until(() -> lagOf("n2", "n1").path("lagMillis").asLong() == 0);
        JsonNode caughtUp = lagOf("n2", "n1");
        assertEquals(0, caughtUp.path("lagBytes").asLong(), caughtUp.toString());
        Result text = pgmeshctl("status");
        assertEquals(0, text.status(), text.output());
        assertTrue(text.output().contains("node n2"), text.output());
    }

    @Test
    @Order(3)
    void waitSyncReturnsOnlyOnceThePeerHasTheRows() throws Exception {
        connect.pauseConnector("pgmesh-sink-n2", WAIT);
        n1.execute(DB, "INSERT INTO items SELECT g, 'to sync' FROM generate_series(1000, 1499) AS g");
        CompletableFuture<Result> waiting = CompletableFuture.supplyAsync(() ->
                pgmeshctl("wait-sync", "--node", "n2", "--peer", "n1"));
        Thread.sleep(4000);
        assertFalse(waiting.isDone(), "wait-sync returned while n2's sink was paused: " +
                (waiting.isDone() ? waiting.get().output() : ""));
        assertEquals("0", n2.queryValue(DB, "SELECT count(*) FROM items WHERE v = 'to sync'"));
        connect.resumeConnector("pgmesh-sink-n2", WAIT);
        Result done = waiting.get(120, TimeUnit.SECONDS);
        assertEquals(0, done.status(), done.output());
        assertEquals("500", n2.queryValue(DB, "SELECT count(*) FROM items WHERE v = 'to sync'"),
                "every row n1 committed before wait-sync is on n2 when it returns");
    }

    @Test
    @Order(4)
    void aSinkWhoseDatabaseMakesNoProgressIsReportedStalledWhileConnectSaysRunning() throws Exception {
        try (java.sql.Connection blocker = n2.connect(DB)) {
            blocker.setAutoCommit(false);
            try (var s = blocker.createStatement()) {
                s.execute("LOCK TABLE items IN ACCESS EXCLUSIVE MODE");
            }
            n1.execute(DB, "INSERT INTO items SELECT g, 'behind a lock' FROM generate_series(2000, 2009) AS g");
            JsonNode stall = awaitStall("n2", "pgmesh-sink-n2");
            assertTrue(stall.path("waitingFor").asText().contains("its task to apply pgmesh.n1-0"), stall.toString());
            assertEquals("RUNNING", connect.status("pgmesh-sink-n2").path("tasks").get(0).path("state").asText(),
                    "Connect still says RUNNING");
            assertEquals(1.0, stalledMetric("pgmesh-sink-n2"), "the connector's stalled metric");
            Result text = pgmeshctl("status");
            assertEquals(1, text.status(), "status fails while a connector is stalled: " + text.output());
            assertTrue(text.output().contains("STALLED pgmesh-sink-n2 since"), text.output());
            blocker.commit();
        }
        awaitNoStall("n2", "pgmesh-sink-n2");
        assertEquals(0.0, stalledMetric("pgmesh-sink-n2"));
        Awaitility.await("n2 caught up").atMost(WAIT).until(() -> n2.queryValue(DB,
                "SELECT count(*) FROM items WHERE v = 'behind a lock'").equals("10"));
    }

    @Test
    @Order(5)
    void aSourceWhoseTopicKafkaHoldsBackIsReportedStalledWithWhatItWaitsFor() throws Exception {
        Map<String, Object> props = Map.of("bootstrap.servers", connect.bootstrapServers(),
                "transactional.id", "not-pgmesh", "key.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class,
                "value.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class);
        try (var foreign = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(props)) {
            // another producer's transaction, held open: read_committed readers stop at it, and the
            // slot is confirmed only past what they can read (it is not pgmesh's to abort)
            foreign.initTransactions();
            foreign.beginTransaction();
            foreign.send(new org.apache.kafka.clients.producer.ProducerRecord<>("pgmesh.n1", new byte[] {1}, new byte[] {1}))
                    .get(30, TimeUnit.SECONDS);
            n1.execute(DB, "INSERT INTO items SELECT g, 'behind a transaction' FROM generate_series(3000, 3009) AS g");
            JsonNode stall = awaitStall("n1", "pgmesh-source-n1");
            assertTrue(stall.path("waitingFor").asText().contains("last stable offset of pgmesh.n1-0"), stall.toString());
            JsonNode sink = awaitStall("n2", "pgmesh-sink-n2");
            assertTrue(sink.path("waitingFor").asText().contains("a transaction open on pgmesh.n1-0"), sink.toString());
            foreign.abortTransaction();
        }
        awaitNoStall("n1", "pgmesh-source-n1");
        awaitNoStall("n2", "pgmesh-sink-n2");
        Awaitility.await("n2 has the rows").atMost(WAIT).until(() -> n2.queryValue(DB,
                "SELECT count(*) FROM items WHERE v = 'behind a transaction'").equals("10"));
    }

    @Test
    @Order(6)
    void removeNodeTakesANodeOutAndDropsItsSlotAndOrigins() {
        Result removed = pgmeshctl("remove-node", "--node", "n2", "--delete-topic");
        assertEquals(0, removed.status(), removed.output());
        assertTrue(removed.output().contains("Node n2 removed."), removed.output());
        // n1's sink read only n2's topic: a one-node mesh has nothing to apply
        Awaitility.await("the three connectors gone").atMost(WAIT).until(() -> connect.status("pgmesh-source-n2") == null
                && connect.status("pgmesh-sink-n2") == null && connect.status("pgmesh-sink-n1") == null);
        connect.awaitRunning("pgmesh-source-n1", 1, WAIT);
        assertEquals("0", n2.queryValue("postgres", "SELECT count(*) FROM pg_replication_slots"));
        assertEquals("0", n1.queryValue(DB, "SELECT count(*) FROM pg_replication_origin WHERE roname = 'pgmesh_n2'"));
        assertEquals("0", n1.queryValue(DB, "SELECT count(*) FROM pgmesh.applied_origins WHERE origin = 'n2'"));
        Awaitility.await("topic pgmesh.n2 deleted").atMost(WAIT).until(() ->
                !connect.kafka().createAdminClient().listTopics().names().get().contains("pgmesh.n2"));
        assertEquals("622", n1.queryValue(DB, "SELECT count(*) FROM items"), "the rows stay on n1");
    }

    /** Waits until pgmeshctl status reports {@code connector} of {@code node} stalled; returns the report. */
    private static JsonNode awaitStall(String node, String connector) {
        JsonNode[] found = new JsonNode[1];
        Awaitility.await(connector + " reported stalled").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
                .until(() -> {
                    found[0] = stallOf(node, connector);
                    return found[0] != null;
                });
        return found[0];
    }

    private static void awaitNoStall(String node, String connector) {
        Awaitility.await(connector + " no longer stalled").atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofSeconds(2)).until(() -> stallOf(node, connector) == null);
    }

    private static JsonNode stallOf(String node, String connector) throws Exception {
        for (JsonNode n : JSON.readTree(pgmeshctl("status", "--json").output())) {
            if (n.path("node").asText().equals(node)) {
                for (JsonNode stall : n.path("stalls")) {
                    if (stall.path("connector").asText().equals(connector)) {
                        return stall;
                    }
                }
            }
        }
        return null;
    }

    /** The connector's stalled gauge, over JMX from the worker (which runs in this JVM). */
    private static double stalledMetric(String connector) throws Exception {
        var server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        var name = new javax.management.ObjectName("kafka.connect:type=plugins,connector=" + connector);
        return ((Number) server.getAttribute(name, "stalled")).doubleValue();
    }

    private static JsonNode lagOf(String node, String origin) throws Exception {
        Result status = pgmeshctl("status", "--json");
        for (JsonNode n : JSON.readTree(status.output())) {
            if (n.path("node").asText().equals(node)) {
                for (JsonNode o : n.path("origins")) {
                    if (o.path("origin").asText().equals(origin)) {
                        return o;
                    }
                }
            }
        }
        throw new AssertionError("no status of " + node + " from " + origin + ": " + status.output());
    }

    private record Result(int status, String output) {
    }

    private static Result pgmeshctl(String... args) {
        List<String> all = new java.util.ArrayList<>(List.of(args[0], "--cluster", cluster.toString()));
        all.addAll(List.of(args).subList(1, args.length));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> env = Map.of("N1_PASSWORD", n1.superuserPassword(), "N2_PASSWORD", n2.superuserPassword());
        int status = Pgmeshctl.run(all.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env::get);
        String output = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
        System.out.println("pgmeshctl " + String.join(" ", args) + " -> " + status + "\n" + output);
        return new Result(status, output);
    }
}
