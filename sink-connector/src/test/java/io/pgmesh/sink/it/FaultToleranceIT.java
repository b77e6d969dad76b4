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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

/**
 * Faults under write load on a two-node mesh (both nodes writing, shared rows colliding), the
 * Connect worker and the Kafka broker each in a JVM of its own (the worker with 512 MB of heap,
 * configured as docs/operations.md says: Connect's defaults, exactly-once source support):
 * after each fault, with the writers paused, both nodes must hold the same rows (ordered md5 of
 * every table), and no change may be missing or applied twice (events has no key, so a change
 * applied twice is a second row). docs/troubleshooting.md has what each fault showed. Part of
 * {@code mvn verify}; {@code -Dpgmesh.faults=false} leaves it out (it takes about 8 minutes).
 */
@DisabledIfSystemProperty(named = "pgmesh.faults", matches = "false")
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
        // the worker's log and GC log stay in target/ for a look after a failure
        work = Path.of(System.getProperty("pgmesh.work.dir", "target/it-work"), "faults");
        connect = ConnectCluster.startWithProcesses("faults", work, 512, Map.of());
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

    /**
     * The broker process stopped with SIGTERM and started again on the same data, under both
     * writers, and nothing else done: no REST call, no abort. Kafka has left a source task's
     * transaction hanging on its node topic and on the offsets topic after about half of such
     * restarts (the coordinator at Empty a later epoch; docs/troubleshooting.md): every
     * read_committed reader then stops, the source task and connector themselves when Connect
     * starts them again. The peers' sink connector instances (and the source's, when it runs) abort
     * such transactions after hanging.transaction.timeout.ms (2 min) and the mesh must resume by
     * itself. Restarted up to four times until one left a transaction
     * hanging; every time, both nodes must converge with nothing lost or twice.
     */
    @Test
    @Order(4)
    void theKafkaBrokerRestartedAndTheMeshResumesByItself() throws Exception {
        int hung = 0;
        for (int restart = 1; restart <= 4 && hung == 0; restart++) {
            long logAt = java.nio.file.Files.size(connect.worker().logFile());
            connect.broker().restart(Duration.ofSeconds(5));
            converge("broker restart " + restart + " (nothing done by hand)", Duration.ofMinutes(10), () -> { });
            String log = workerLogSince(logAt);
            hung = (int) log.lines().filter(l -> l.contains("aborted the transaction of")).count();
            System.out.println("Broker restart " + restart + ": " + hung + " hanging transactions aborted by pgmesh"
                    + log.lines().filter(l -> l.contains("aborted the transaction of") || l.contains("does not abort it"))
                    .map(l -> "\n  " + l).reduce("", String::concat));
            assertTrue(log.lines().noneMatch(l -> l.contains("pgmesh does not abort it")), "a hanging transaction"
                    + " pgmesh would not abort: " + log);
        }
        System.out.println("theKafkaBrokerRestartedAndTheMeshResumesByItself: " + (hung > 0
                ? "Kafka left transactions hanging; pgmesh aborted them and the mesh resumed by itself"
                : "no restart left a transaction hanging this time"));
    }

    private static String workerLogSince(long offset) throws java.io.IOException {
        byte[] all = java.nio.file.Files.readAllBytes(connect.worker().logFile());
        return new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
                java.nio.charset.StandardCharsets.UTF_8);
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
    void theReplicationSlotDroppedUnderneathTheSource() throws Exception {
        PostgresNode n2 = server("n2");
        // as a tool cleaning up slots would: end the walsender, drop the slot before it is back
        Awaitility.await("slot pgmesh_n2 dropped").atMost(RUNNING).pollInterval(Duration.ofMillis(50))
                .ignoreExceptions().until(() -> {
                    n2.execute("postgres", "SELECT pg_terminate_backend(active_pid, 5000) FROM pg_replication_slots"
                            + " WHERE slot_name = 'pgmesh_n2' AND active_pid IS NOT NULL");
                    n2.execute("postgres", "SELECT pg_drop_replication_slot('pgmesh_n2')");
                    return true;
                });
        String trace = connect.awaitTaskFailed("src-n2", RUNNING);
        assertTrue(trace.contains("Replication slot pgmesh_n2 does not exist on node n2")
                && trace.contains("already streamed from it"), trace);
        // the recovery docs/troubleshooting.md gives: stop, reset the offsets, resume (a new slot
        // and a new snapshot of n2); then the operator's step for keyless tables: the snapshot
        // copied n2's events again, so n1 removes the second copies (deletes of a keyless table do
        // not replicate: its set is default_insert_only)
        connect.stopConnector("src-n2", RUNNING);
        connect.resetOffsets("src-n2");
        connect.resumeConnector("src-n2", RUNNING);
        connect.awaitRunning("src-n2", 1, RUNNING);
        converge("the slot dropped and the source recovered", CONVERGE, () -> {
            assertEquals("0", n2.queryValue(Mesh.DATABASE, "SELECT count(*) - count(DISTINCT (node, seq)) FROM events"),
                    "the snapshot applied n2's own events on n2");
            server("n1").execute(Mesh.DATABASE, "DELETE FROM events a USING events b WHERE a.node = b.node"
                    + " AND a.seq = b.seq AND a.ctid > b.ctid");
        });
    }

    @Test
    @Order(7)
    void oneTransactionOfAMillionRowsWithTheWorkerHeapBounded() throws Exception {
        server("n1").execute(Mesh.DATABASE, "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 1000000) AS g");
        converge("one transaction of 1,000,000 rows", Duration.ofMinutes(20), () -> { });
        assertEquals("1000000", server("n2").queryValue(Mesh.DATABASE, "SELECT count(*) FROM big"));
        assertTrue(connect.worker().isAlive(), "the worker died: " + connect.worker().exitCode());
        long peak = connect.worker().peakHeapMb().orElse(-1);
        assertTrue(peak < 512, "heap peak " + peak + " MB");
    }

    private interface Step {
        void run() throws Exception;
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
        converge(after, CONVERGE, () -> { });
    }

    /** As {@link #converge(String)}; {@code synced} runs once the nodes applied everything, before the checks. */
    private static void converge(String after, Duration timeout, Step synced) throws Exception {
        List<Integer> before = writers.stream().map(FaultWriter::committed).toList();
        Thread.sleep(4000);
        for (FaultWriter w : writers) {
            w.pause();
        }
        try {
            mesh.awaitSynced(timeout);
            synced.run();
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
