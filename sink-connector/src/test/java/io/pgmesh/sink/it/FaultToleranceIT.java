package io.pgmesh.sink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.Mesh;
import io.pgmesh.testkit.PgmeshConfigs;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.postgres.PostgresNode;
import io.pgmesh.testkit.postgres.PostgresNode.StopMode;
import io.pgmesh.testkit.workload.FaultWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Faults under write load on a two-node mesh (both nodes writing, shared rows colliding), the
 * Connect worker in a JVM of its own with 512 MB of heap: after each fault, with the writers
 * paused, both nodes must hold the same rows (ordered md5 of every table), and no change may be
 * missing or applied twice (events has no key, so a change applied twice is a second row).
 *
 * <p>Not part of {@code mvn verify} yet: run it with {@code -Dpgmesh.faults=true}. Of its runs so
 * far (docs/troubleshooting.md, "Fault tests"), the SIGKILL and both PostgreSQL restarts passed;
 * a run also had the worker exceed its 512 MB heap while catching up, which is open.
 */
@EnabledIfSystemProperty(named = "pgmesh.faults", matches = "true")
@Timeout(1800)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultToleranceIT {

    private static final Duration CONVERGE = Duration.ofMinutes(5);
    private static final Duration RUNNING = Duration.ofMinutes(3);
    private static final List<String> NODES = List.of("n1", "n2");
    private static final List<String> TABLES = List.of("events", "kv", "big");
    private static ConnectCluster connect;
    private static Mesh mesh;
    private static final List<FaultWriter> writers = new ArrayList<>();
    private static Path work;

    @BeforeAll
    static void start() throws Exception {
        work = Files.createTempDirectory("pgmesh-faults");
        connect = ConnectCluster.startWithWorkerProcess("faults", work.resolve("worker"), 512, Map.of());
        List<String> schema = new ArrayList<>(List.of(FaultWriter.SCHEMA));
        schema.add("CREATE TABLE big (id int PRIMARY KEY, v text)");
        mesh = Mesh.start(connect, NODES, schema, PgmeshConfigs::exactlyOnce, c -> c);
        long seed = 1;
        for (String node : NODES) {
            writers.add(new FaultWriter(mesh.server(node), Mesh.DATABASE, 20, seed++).start());
        }
        Thread.sleep(3000);
        converge("the mesh before any fault");
    }

    @AfterAll
    static void stop() throws Exception {
        for (FaultWriter w : writers) {
            w.stop();
        }
        Closeables.closeAll(mesh, connect);
    }

    @Test
    @Order(1)
    void theConnectWorkerKilledWithSigkillAndRestarted() throws Exception {
        connect.worker().kill();
        Thread.sleep(5000);
        connect.worker().restart();
        awaitConnectorsRunning();
        converge("the worker killed with SIGKILL and restarted");
    }

    @Test
    @Order(2)
    void aPostgresNodeStoppedFastAndRestarted() throws Exception {
        server("n2").stop(StopMode.FAST);
        Thread.sleep(5000);
        server("n2").start();
        converge("n2 stopped (fast) and restarted");
    }

    @Test
    @Order(3)
    void aPostgresNodeStoppedImmediatelyAndRestarted() throws Exception {
        server("n1").stop(StopMode.IMMEDIATE);
        Thread.sleep(5000);
        server("n1").start();
        converge("n1 stopped (immediate: a crash) and restarted");
    }

    @Test
    @Order(4)
    void theKafkaBrokerRestarted() throws Exception {
        connect.kafka().stopOnlyBrokers();
        Thread.sleep(5000);
        connect.kafka().restartOnlyBrokers();
        // Kafka 4.3.1 (transaction.version 2) can leave a source task's transaction hanging on the
        // Connect offsets topic across a broker restart: the coordinator has it complete, the
        // partition keeps it open, and the restarted task waits for it to end. The documented
        // recovery (docs/troubleshooting.md) is what kafka-transactions.sh find-hanging / abort do.
        Thread.sleep(20_000);
        List<String> aborted = connect.abortHangingTransactions();
        System.out.println("Hanging transactions aborted after the broker restart: " + aborted);
        converge("the broker restarted");
    }

    @Test
    @Order(5)
    void aNodeFrozenForAMinuteAndThawed() throws Exception {
        server("n2").freeze();
        try {
            Thread.sleep(60_000);
        } finally {
            server("n2").unfreeze();
        }
        converge("n2 frozen for a minute (SIGSTOP) and thawed");
    }

    @Test
    @Order(6)
    void oneTransactionOfAMillionRowsWithTheWorkerHeapBounded() throws Exception {
        server("n1").execute(Mesh.DATABASE, "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 1000000) AS g");
        converge("one transaction of 1,000,000 rows");
        assertEquals("1000000", server("n2").queryValue(Mesh.DATABASE, "SELECT count(*) FROM big"));
        assertTrue(connect.worker().isAlive(), "the worker died: " + connect.worker().exitCode());
        long peak = connect.worker().peakHeapMb().orElse(-1);
        assertTrue(peak < 512, "heap peak " + peak + " MB");
    }

    private static PostgresNode server(String node) {
        return mesh.server(node);
    }

    private static void awaitConnectorsRunning() {
        for (String node : NODES) {
            connect.awaitRunning("src-" + node, 1, RUNNING);
            connect.awaitRunning("sink-" + node, 1, RUNNING);
        }
    }

    /**
     * Lets the writers run on for a few seconds, pauses them, waits until every node applied
     * everything, and compares the nodes.
     */
    private static void converge(String after) throws Exception {
        List<Integer> before = writers.stream().map(FaultWriter::committed).toList();
        Thread.sleep(4000);
        for (FaultWriter w : writers) {
            w.pause();
        }
        try {
            mesh.awaitSynced(CONVERGE);
            for (String table : TABLES) {
                Map<String, String> digests = mesh.digests(table);
                assertEquals(1, digests.values().stream().distinct().count(), "after " + after + ", " + table
                        + " differs between nodes: " + digests);
            }
            for (String node : NODES) {
                assertEquals("0", server(node).queryValue(Mesh.DATABASE, "SELECT count(*) - count(DISTINCT (node, seq))"
                        + " FROM events"), "after " + after + ", a change applied twice on " + node);
            }
            for (int i = 0; i < writers.size(); i++) {
                assertTrue(writers.get(i).committed() > before.get(i), "after " + after + ", the writer on "
                        + NODES.get(i) + " committed nothing");
            }
        } finally {
            for (FaultWriter w : writers) {
                w.resume();
            }
        }
    }
}
