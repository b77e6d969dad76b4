package io.pgmesh.sink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.Mesh;
import io.pgmesh.testkit.PgmeshConfigs;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.workload.RandomWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three nodes, three writers at once over the same keys: inserts, updates, deletes and key moves
 * racing each other in every combination. Once they stop and replication drains, every node holds
 * the same rows.
 */
@Timeout(600)
class ThreeNodeMeshIT {

    private static final Duration WAIT = Duration.ofSeconds(300);
    private static ConnectCluster connect;
    private static Mesh mesh;

    @BeforeAll
    static void startMesh() {
        connect = ConnectCluster.start("mesh3");
        mesh = Mesh.start(connect, List.of("n1", "n2", "n3"),
                List.of("CREATE TABLE kv (k int PRIMARY KEY, v text NOT NULL, n int NOT NULL)"),
                PgmeshConfigs::exactlyOnce, c -> c);
    }

    @AfterAll
    static void stopMesh() {
        Closeables.closeAll(mesh, connect);
    }

    @Test
    void concurrentWritersOnOverlappingKeysConvergeOnEveryNode() throws Exception {
        List<RandomWriter> writers = new ArrayList<>();
        long seed = Long.getLong("pgmesh.seed", System.nanoTime());
        System.out.println("ThreeNodeMeshIT seed " + seed + " (re-run with -Dpgmesh.seed=" + seed + ")");
        for (String node : mesh.nodes()) {
            writers.add(new RandomWriter(mesh.server(node), Mesh.DATABASE, 150, 2000, seed + node.hashCode()).start());
        }
        int committed = 0;
        for (RandomWriter writer : writers) {
            committed += writer.await();
        }
        assertTrue(committed > 2000, "transactions committed: " + committed);
        mesh.awaitSynced(WAIT);

        Map<String, String> digests = mesh.digests("kv");
        assertEquals(1, digests.values().stream().distinct().count(), "kv differs between nodes: " + digests);
        long conflicts = 0;
        for (String node : mesh.nodes()) {
            conflicts += Long.parseLong(mesh.server(node).queryValue(Mesh.DATABASE,
                    "SELECT coalesce(sum(count), 0) FROM pgmesh.conflict_counters"));
        }
        assertTrue(conflicts > 0, "overlapping writers made conflicts");
        System.out.println("ThreeNodeMeshIT: " + committed + " transactions, " + conflicts + " conflicts, digests "
                + digests);
    }
}
