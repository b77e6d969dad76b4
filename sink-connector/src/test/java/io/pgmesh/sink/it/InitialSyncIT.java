package io.pgmesh.sink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.Mesh;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.connect.WorkerProcess;
import io.pgmesh.testkit.workload.TpcbWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An existing database of pgbench's size 10 (1,000,000 accounts) joins a mesh while it takes
 * TPC-B writes: its source copies it into its topic and the empty peer applies it, and the peer
 * ends identical. The Connect worker runs in a JVM of its own with a 512 MB heap and exits if it
 * ever needs more, so the whole sync shows the worker's memory stays bounded.
 */
@Timeout(1500)
class InitialSyncIT {

    private static final int ACCOUNTS = 1_000_000;
    private static final int BRANCHES = 10;
    private static final int WORKER_HEAP_MB = 512;
    private static final Duration WAIT = Duration.ofMinutes(20);
    private static final List<String> TABLES = List.of("pgbench_branches", "pgbench_tellers", "pgbench_accounts",
            "pgbench_history");
    private static ConnectCluster connect;
    private static Mesh mesh;

    @BeforeAll
    static void startMesh() {
        Path work = Path.of(System.getProperty("pgmesh.work.dir", "target/it-work"), "initial-sync-worker");
        connect = ConnectCluster.startWithWorkerProcess("initial-sync", work, WORKER_HEAP_MB, Map.of());
    }

    @AfterAll
    static void stopMesh() {
        Closeables.closeAll(mesh, connect);
    }

    @Test
    void aMillionRowDatabaseUnderWritesReachesAnEmptyPeerIdenticalWithinTheWorkersHeap() {
        long started = System.nanoTime();
        // the connectors start right after n1 is loaded; the writer starts once the copy is under way
        mesh = Mesh.start(connect, List.of("n1", "n2"), List.of(
                "CREATE TABLE pgbench_branches (bid int PRIMARY KEY, bbalance int, filler char(88))",
                "CREATE TABLE pgbench_tellers (tid int PRIMARY KEY, bid int, tbalance int, filler char(84))",
                "CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84))",
                "CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))"),
                (node, server) -> {
                    if (node.equals("n1")) {
                        // what pgbench -i -s 10 writes
                        server.execute(Mesh.DATABASE,
                                "INSERT INTO pgbench_branches SELECT b, 0 FROM generate_series(1, " + BRANCHES + ") b",
                                "INSERT INTO pgbench_tellers SELECT t, (t - 1) / 10 + 1, 0 FROM generate_series(1, "
                                        + BRANCHES * 10 + ") t",
                                "INSERT INTO pgbench_accounts SELECT a, (a - 1) / 100000 + 1, 0, '' FROM"
                                        + " generate_series(1, " + ACCOUNTS + ") a",
                                "VACUUM ANALYZE");
                    }
                }, source -> source, sink -> sink);
        TpcbWriter writer = TpcbWriter.start(mesh.server("n1"), Mesh.DATABASE, "pgbench_", 1, ACCOUNTS, BRANCHES, 5);
        Awaitility.await("n1's snapshot complete").atMost(WAIT).pollInterval(Duration.ofSeconds(2))
                .until(() -> snapshotComplete("src-n1"));
        long snapshotSeconds = (System.nanoTime() - started) / 1_000_000_000L;
        int transactions = writer.stop();
        assertTrue(transactions > 0, "the writer committed transactions during the snapshot");

        mesh.awaitSynced(WAIT);
        long syncSeconds = (System.nanoTime() - started) / 1_000_000_000L;
        for (String table : TABLES) {
            assertEquals(mesh.digest("n1", table), mesh.digest("n2", table), table);
        }
        assertEquals(String.valueOf(ACCOUNTS), mesh.server("n2").queryValue(Mesh.DATABASE,
                "SELECT count(*) FROM pgbench_accounts"));

        WorkerProcess worker = connect.worker();
        assertTrue(worker.isAlive(), "the Connect worker exited (code " + worker.exitCode() + "), see "
                + worker.logFile());
        System.out.printf("Initial sync of %,d accounts with %,d TPC-B transactions during the snapshot: snapshot"
                        + " in the topic after %d s, peer identical after %d s; worker heap peak %s MB of %d MB%n",
                ACCOUNTS, transactions, snapshotSeconds, syncSeconds, worker.peakHeapMb().orElse(-1), WORKER_HEAP_MB);
    }

    /** Whether the source's stored offset is past its snapshot (REST: GET /connectors/{name}/offsets). */
    private static boolean snapshotComplete(String source) {
        JsonNode offsets = connect.offsets(source);
        if (offsets.isEmpty()) {
            return false;
        }
        JsonNode offset = offsets.get(0).path("offset");
        return offset.has("commit_lsn") && !offset.has("snapshot");
    }
}
