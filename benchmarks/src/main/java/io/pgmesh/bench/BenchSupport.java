package io.pgmesh.bench;

import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** What the benchmarks share: their servers, their database, and how they wait and compare. */
final class BenchSupport {

    static final String DB = "bench";
    private static final List<String> TABLES = List.of("pgbench_accounts", "pgbench_branches", "pgbench_tellers",
            "pgbench_history");
    private static final Duration WAIT = Duration.ofMinutes(60);

    private BenchSupport() {
    }

    /**
     * The converter settings the connectors get: JSON with its schema in every record (Connect's
     * default), or, with {@code PGMESH_BENCH_JSON_SCHEMAS=false}, JSON without it.
     */
    static Map<String, String> withConverters(Map<String, String> connector) {
        Map<String, String> config = new HashMap<>(connector);
        String schemas = System.getenv().getOrDefault("PGMESH_BENCH_JSON_SCHEMAS", "true");
        for (String side : List.of("key", "value")) {
            config.put(side + ".converter", "org.apache.kafka.connect.json.JsonConverter");
            config.put(side + ".converter.schemas.enable", schemas);
        }
        return config;
    }

    /** A server with room for a bulk workload (large WAL, rare checkpoints). */
    static PostgresNode server(String name) {
        return builder(name).start();
    }

    static PostgresNode.Builder builder(String name) {
        return PostgresNode.builder(name).setting("max_wal_size", "4GB").setting("checkpoint_timeout", "30min");
    }

    /** Waits until the table bench_marker has a row on {@code node}. */
    static void awaitMarker(PostgresNode node) throws InterruptedException {
        await("the marker on " + node, () -> !node.query(DB, "SELECT 1 FROM bench_marker").isEmpty());
    }

    /** Waits until the table bench_marker has the row {@code id} on {@code node}. */
    static void awaitMarker(PostgresNode node, int id) throws InterruptedException {
        await("marker " + id + " on " + node, () -> !node.query(DB, "SELECT 1 FROM bench_marker WHERE id = " + id)
                .isEmpty());
    }

    /**
     * Transactions the catch-up benchmark runs and replicates, replication on, before what it
     * measures ({@code PGMESH_BENCH_WARMUP}, default 0: none): the JVMs (broker and worker) have then
     * compiled their hot paths, as a worker that has run for a while has. Every system gets the same.
     */
    static final int WARMUP_TRANSACTIONS = Integer.parseInt(System.getenv().getOrDefault("PGMESH_BENCH_WARMUP", "0"));

    /**
     * Runs {@link #WARMUP_TRANSACTIONS} on {@code source} with replication running and waits until
     * {@code target} has them (marker 0, then {@code applied}); nothing when there are none.
     */
    static void warmUp(String system, Pgbench pgbench, PostgresNode source, PostgresNode target, int clients,
                       Supplier<Boolean> applied) throws Exception {
        if (WARMUP_TRANSACTIONS <= 0) {
            return;
        }
        System.out.println(system + ": warming up with " + WARMUP_TRANSACTIONS + " transactions, replication running");
        pgbench.run(source, DB, WARMUP_TRANSACTIONS, clients);
        CatchUpBenchmark.markEnd(source, 0);
        awaitMarker(target, 0);
        await("the warm-up applied on " + target, applied);
    }

    /** The Connect worker's heap limit in the benchmarks: the performance issue's memory target. */
    static final int WORKER_HEAP_MB = Integer.parseInt(System.getenv().getOrDefault("PGMESH_BENCH_WORKER_HEAP_MB",
            "512"));

    /**
     * A broker in this JVM and a Connect worker in a JVM of its own, with {@link #WORKER_HEAP_MB}
     * MB of heap at most and exiting on OutOfMemoryError, as in production; exactly-once source
     * delivery on (Connect's pgmesh default).
     */
    static ConnectCluster connect(String name) throws java.io.IOException {
        Path dir = Files.createTempDirectory("pgmesh-bench-" + name);
        return ConnectCluster.startWithWorkerProcess(name, dir, WORKER_HEAP_MB, Map.of());
    }

    /** The worker's heap peak as its GC logged it, in MB, or -1; fails the benchmark if the worker died. */
    static long workerHeapPeakMb(ConnectCluster connect) {
        if (!connect.worker().isAlive()) {
            throw new IllegalStateException("the Connect worker exited (code " + connect.worker().exitCode()
                    + "): with -Xmx" + WORKER_HEAP_MB + "m it ran out of memory or crashed; see "
                    + connect.worker().logFile());
        }
        return connect.worker().peakHeapMb().orElse(-1);
    }

    /** Whether every pgbench table has the same rows on both (ordered md5 of the rows' text). */
    static boolean identical(PostgresNode a, PostgresNode b) {
        for (String table : TABLES) {
            String sql = "SELECT md5(string_agg(t::text, E'\\n' ORDER BY t::text)) FROM " + table + " AS t";
            if (!String.valueOf(a.queryValue(DB, sql)).equals(String.valueOf(b.queryValue(DB, sql)))) {
                return false;
            }
        }
        return true;
    }

    static void await(String what, Supplier<Boolean> condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }
}
