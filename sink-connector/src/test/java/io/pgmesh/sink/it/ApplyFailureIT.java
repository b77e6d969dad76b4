package io.pgmesh.sink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.Mesh;
import io.pgmesh.testkit.connect.ConnectCluster;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A change that cannot be applied fails the sink task with a message naming that change, even
 * though the sink sends a transaction's statements together, and nothing of its transaction is
 * applied until the cause is fixed.
 */
@Timeout(300)
class ApplyFailureIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static ConnectCluster connect;
    private static Mesh mesh;

    @BeforeAll
    static void startMesh() {
        connect = ConnectCluster.start("failure");
        mesh = Mesh.start(connect, List.of("n1", "n2"), List.of("CREATE TABLE t (id int PRIMARY KEY, v int)"),
                c -> c, c -> c);
    }

    @AfterAll
    static void stopMesh() {
        Closeables.closeAll(mesh, connect);
    }

    @Test
    void theFailingChangeOfATransactionIsNamedAndNothingOfItIsAppliedUntilFixed() {
        // a local constraint of n2 only: the DDL is kept off the mesh
        mesh.server("n2").execute(Mesh.DATABASE, "SET pgmesh.ddl_replication = off",
                "ALTER TABLE t ADD CONSTRAINT small CHECK (v < 100)");
        mesh.server("n1").execute(Mesh.DATABASE,
                "BEGIN; INSERT INTO t VALUES (1, 1); INSERT INTO t VALUES (2, 200); INSERT INTO t VALUES (3, 3); COMMIT");

        String trace = connect.awaitTaskFailed("sink-n2", WAIT);
        assertTrue(trace.contains("INSERT on \"public\".\"t\" key {id=2}") && trace.contains("23514"), trace);
        assertEquals("0", mesh.server("n2").queryValue(Mesh.DATABASE, "SELECT count(*) FROM t"));

        mesh.server("n2").execute(Mesh.DATABASE, "SET pgmesh.ddl_replication = off", "ALTER TABLE t DROP CONSTRAINT small");
        connect.restartTask("sink-n2", 0);
        mesh.awaitSynced(WAIT);
        assertEquals(mesh.digest("n1", "t"), mesh.digest("n2", "t"));
        assertEquals("3", mesh.server("n2").queryValue(Mesh.DATABASE, "SELECT count(*) FROM t"));
    }

    /**
     * Forty source transactions reach the sink in one delivery and go to n2 in one exchange; the
     * twenty-first cannot be applied there. The twenty before it stay applied, the failing change
     * is named, nothing after it is applied until the cause is fixed, and then every row arrives
     * exactly once (each transaction applied once, by pgmesh.applied_origins' count).
     */
    @Test
    void aTransactionFailingInTheMiddleOfABatchKeepsTheOnesBeforeAndIsNamed() throws InterruptedException {
        mesh.server("n1").execute(Mesh.DATABASE, "CREATE TABLE batch (id int PRIMARY KEY, v int)");
        Awaitility.await("table batch on n2").atMost(WAIT).until(() -> "1".equals(mesh.server("n2").queryValue(
                Mesh.DATABASE, "SELECT count(*) FROM pg_tables WHERE tablename = 'batch'")));
        mesh.server("n2").execute(Mesh.DATABASE, "SET pgmesh.ddl_replication = off",
                "ALTER TABLE batch ADD CONSTRAINT small CHECK (v < 100)");
        String applied = "SELECT transactions FROM pgmesh.applied_origins WHERE origin = 'n1'";
        long before = Long.parseLong(mesh.server("n2").queryValue(Mesh.DATABASE, applied));
        connect.pauseConnector("sink-n2", WAIT);
        for (int tx = 1; tx <= 40; tx++) {
            int v = tx == 21 ? 200 : tx;
            mesh.server("n1").execute(Mesh.DATABASE, "BEGIN; INSERT INTO batch VALUES (" + (tx * 10) + ", " + v
                    + "); INSERT INTO batch VALUES (" + (tx * 10 + 1) + ", 1); COMMIT");
        }
        Thread.sleep(3000);  // the source has them all in the topic: the sink gets them in one delivery
        connect.resumeConnector("sink-n2", WAIT);

        String trace = connect.awaitTaskFailed("sink-n2", WAIT);
        assertTrue(trace.contains("INSERT on \"public\".\"batch\" key {id=210}") && trace.contains("23514"), trace);
        assertEquals("40", mesh.server("n2").queryValue(Mesh.DATABASE, "SELECT count(*) FROM batch"),
                "the 20 transactions before the failing one stay applied");
        assertEquals("201", mesh.server("n2").queryValue(Mesh.DATABASE, "SELECT max(id) FROM batch"));
        assertEquals(Long.toString(before + 20), mesh.server("n2").queryValue(Mesh.DATABASE, applied));

        mesh.server("n2").execute(Mesh.DATABASE, "SET pgmesh.ddl_replication = off",
                "ALTER TABLE batch DROP CONSTRAINT small");
        connect.restartTask("sink-n2", 0);
        mesh.awaitSynced(WAIT);
        assertEquals(List.of(List.of("80", "80")), mesh.server("n2").query(Mesh.DATABASE,
                "SELECT count(*), count(DISTINCT id) FROM batch"));
        assertEquals(mesh.digest("n1", "batch"), mesh.digest("n2", "batch"));
        // and the sync event awaitSynced had n1 send is one transaction of n1 more
        assertEquals(Long.toString(before + 40 + 1), mesh.server("n2").queryValue(Mesh.DATABASE, applied),
                "every transaction applied once");
    }

    /**
     * A sink's very first transaction (here the initial copy of a table the peer does not have yet:
     * a snapshot carries rows, not the DDL) waits for the table and is applied whole once it is
     * there. The retry once handed Connect offset -1 ("seek offset must not be a negative number")
     * and failed the task; a first transaction failing part way rewound to its middle.
     */
    @Test
    void aSinksFirstTransactionWaitsForItsTableAndIsAppliedWholeOnceItIsThere() {
        try (Mesh late = Mesh.start(connect, List.of("m1", "m2"), List.of(), (node, server) -> {
            if (node.equals("m1")) {
                server.execute(Mesh.DATABASE, "CREATE TABLE early (id int PRIMARY KEY, v text)",
                        "INSERT INTO early SELECT g, 'copied ' || g FROM generate_series(1, 500) AS g");
            }
        }, c -> c, c -> c)) {
            Awaitility.await("m2's sink keeps waiting for table early, RUNNING").atMost(WAIT).during(Duration.ofSeconds(20))
                    .until(() -> {
                        connect.assertNotFailed("sink-m2");
                        return true;
                    });
            assertEquals("0", late.server("m2").queryValue(Mesh.DATABASE,
                    "SELECT count(*) FROM pg_tables WHERE tablename = 'early'"));
            late.server("m2").execute(Mesh.DATABASE, "SET pgmesh.ddl_replication = off",
                    "CREATE TABLE early (id int PRIMARY KEY, v text)");
            late.awaitSynced(WAIT);
            assertEquals(late.digest("m1", "early"), late.digest("m2", "early"));
            assertEquals("500", late.server("m2").queryValue(Mesh.DATABASE, "SELECT count(*) FROM early"));
        }
    }
}
