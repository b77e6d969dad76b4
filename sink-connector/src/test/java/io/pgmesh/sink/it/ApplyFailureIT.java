package io.pgmesh.sink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.Mesh;
import io.pgmesh.testkit.connect.ConnectCluster;
import java.time.Duration;
import java.util.List;
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
}
