package io.pgmesh.sink.it;

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
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three nodes, three writers at once over the same keys: inserts, updates, deletes and key moves
 * racing each other in every combination. Once they stop and replication drains, every node holds
 * the same rows.
 *
 * <p>As a stress loop: {@code -Dpgmesh.stress.rounds=N} runs N rounds on the same mesh, each with
 * its own seed, key range and pauses between transactions (so writers and sinks meet at other
 * moments), checking after every round; {@code -Dpgmesh.seed} fixes the first round's seed.
 */
@Timeout(value = 600, unit = java.util.concurrent.TimeUnit.SECONDS)
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
    @Timeout(value = 7, unit = java.util.concurrent.TimeUnit.DAYS)
    void concurrentWritersOnOverlappingKeysConvergeOnEveryNode() throws Exception {
        int rounds = Integer.getInteger("pgmesh.stress.rounds", 1);
        long seed = Long.getLong("pgmesh.seed", System.nanoTime());
        long conflicts = 0;
        for (int round = 0; round < rounds; round++) {
            conflicts = round(round, seed + round, rounds > 1);
        }
        assertTrue(conflicts > 0, "overlapping writers made conflicts");
    }

    /** Each node's row version, tombstone version and logged conflicts of the keys, for a failure message. */
    private static Map<String, List<List<String>>> versions(java.util.Set<String> keys) {
        Map<String, List<List<String>>> found = new java.util.LinkedHashMap<>();
        String list = String.join(",", keys);
        for (String node : mesh.nodes()) {
            List<List<String>> rows = new ArrayList<>(mesh.server(node).query(Mesh.DATABASE, "SELECT 'row', k::text,"
                    + " (pgmesh.xact_version(xmin))::text FROM kv WHERE k IN (" + list + ")"));
            rows.addAll(mesh.server(node).query(Mesh.DATABASE, "SELECT 'tombstone', key::text,"
                    + " (pgmesh.xact_version(xmin))::text FROM pgmesh.tombstones WHERE key->>'k' IN ('"
                    + String.join("','", keys) + "')"));
            rows.addAll(mesh.server(node).query(Mesh.DATABASE, "SELECT conflict_type, key::text, local_commit_ts || ' '"
                    + " || coalesce(local_origin, '') || ' / ' || remote_commit_ts || ' ' || remote_origin || ' ' || resolution"
                    + " FROM pgmesh.conflicts WHERE key->>'k' IN ('" + String.join("','", keys) + "') ORDER BY id"));
            found.put(node, rows);
        }
        return found;
    }

    /** One round of writers; returns the conflicts resolved on all nodes so far. */
    private static long round(int round, long seed, boolean varied) throws Exception {
        Random timing = new Random(seed);
        int keys = varied ? 10 + timing.nextInt(150) : 150;
        long pauseMicros = varied ? new long[] {0, 200, 1000, 5000}[timing.nextInt(4)] : 0;
        System.out.println("ThreeNodeMeshIT round " + round + " seed " + seed + " keys " + keys + " pause "
                + pauseMicros + " us (re-run with -Dpgmesh.seed=" + seed + ")");
        List<RandomWriter> writers = new ArrayList<>();
        for (String node : mesh.nodes()) {
            writers.add(new RandomWriter(mesh.server(node), Mesh.DATABASE, keys, 2000, seed + node.hashCode())
                    .pausingUpTo(pauseMicros).start());
        }
        int committed = 0;
        for (RandomWriter writer : writers) {
            committed += writer.await();
        }
        assertTrue(committed > 1000, "transactions committed: " + committed);
        mesh.awaitSynced(WAIT);

        Map<String, String> digests = mesh.digests("kv");
        if (digests.values().stream().distinct().count() > 1) {
            Map<String, Map<String, String>> differing = mesh.differences("kv", "k");
            throw new AssertionError("kv differs between nodes in round " + round + " (seed " + seed + "): " + digests
                    + "; rows that differ: " + differing + "; their versions and tombstones: " + versions(differing.keySet()));
        }
        long conflicts = 0;
        for (String node : mesh.nodes()) {
            conflicts += Long.parseLong(mesh.server(node).queryValue(Mesh.DATABASE,
                    "SELECT coalesce(sum(count), 0) FROM pgmesh.conflict_counters"));
        }
        System.out.println("ThreeNodeMeshIT round " + round + ": " + committed + " transactions, " + conflicts
                + " conflicts so far, digests " + digests);
        return conflicts;
    }
}
