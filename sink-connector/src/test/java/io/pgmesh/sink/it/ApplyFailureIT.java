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
