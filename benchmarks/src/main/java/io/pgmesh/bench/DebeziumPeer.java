package io.pgmesh.bench;

import static io.pgmesh.bench.BenchSupport.DB;
import static io.pgmesh.bench.BenchSupport.awaitMarker;

import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The ordinary Kafka route for the same backlog: Debezium's PostgreSQL source (pgoutput) and its
 * JDBC sink (upserts by primary key; pgbench_history, which has none, by plain inserts), installed
 * as plugins from the folder benchmarks/run-catchup.sh builds, in a Connect worker of their own.
 * No conflict resolution, no loop prevention: what one direction of pgmesh does, without what
 * makes a mesh.
 */
final class DebeziumPeer {

    static final String PLUGINS_ENV = "PGMESH_BENCH_DEBEZIUM_PLUGINS";
    private static final Duration WAIT = Duration.ofMinutes(30);
    private static final String PREFIX = "dbz";
    private static final List<String> KEYED = List.of("pgbench_accounts", "pgbench_branches", "pgbench_tellers",
            "bench_marker");

    private DebeziumPeer() {
    }

    /** The plugin folder, or null when Debezium is left out of this run. */
    static Path plugins() {
        String dir = System.getenv(PLUGINS_ENV);
        if (dir == null || dir.isBlank()) {
            return null;
        }
        Path path = Path.of(dir);
        try (Stream<Path> jars = Files.walk(path)) {
            List<String> shared = jars.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("jackson-") || n.startsWith("kafka-") || n.startsWith("connect-")
                            || n.startsWith("slf4j-"))
                    .toList();
            if (!shared.isEmpty()) {
                throw new IllegalStateException("the Debezium plugin folder " + path + " holds jars the worker has"
                        + " already (" + shared + "): a plugin must use the worker's own");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the Debezium plugin folder " + path, e);
        }
        return path;
    }

    /** Catch-up and end to end of the same workload, as {@link CatchUpBenchmark} runs pgmesh's. */
    static CatchUpBenchmark.Result run(Pgbench pgbench, int scale, int transactions, int clients, Path plugins)
            throws Exception {
        Path dir = Files.createTempDirectory("pgmesh-bench-debezium");
        try (ConnectCluster connect = ConnectCluster.startWithWorkerProcess("debezium", dir, BenchSupport.WORKER_HEAP_MB,
                Map.of("plugin.path", plugins.toString()));
             PostgresNode source = BenchSupport.server("dbz_src"); PostgresNode target = BenchSupport.server("dbz_dst")) {
            CatchUpBenchmark.prepare(pgbench, scale, source, target);
            connect.createConnector("dbz-source", BenchSupport.withConverters(sourceConfig(source)));
            connect.createConnector("dbz-sink", BenchSupport.withConverters(sinkConfig(target, true)));
            connect.createConnector("dbz-sink-history", BenchSupport.withConverters(sinkConfig(target, false)));
            for (String name : List.of("dbz-source", "dbz-sink", "dbz-sink-history")) {
                connect.awaitRunning(name, 1, WAIT);
            }
            BenchSupport.await("Debezium's slot", () -> !source.query(DB, "SELECT 1 FROM pg_replication_slots"
                    + " WHERE slot_name = 'dbz' AND active").isEmpty());
            // the marker's sink applies only it; the history sink may still be behind
            BenchSupport.warmUp("debezium", pgbench, source, target, clients, () -> historyCount(source)
                    .equals(historyCount(target)));
            connect.pauseConnector("dbz-sink", WAIT);
            connect.pauseConnector("dbz-sink-history", WAIT);
            System.out.println("debezium: running the workload on the source with the JDBC sinks paused");
            pgbench.run(source, DB, transactions, clients);
            CatchUpBenchmark.markEnd(source, 1);
            // the marker comes after every change of the workload in the WAL, so once its record is
            // in Kafka (committed) the whole backlog is
            connect.kafka().consume(1, WAIT.toMillis(), Map.of("isolation.level", "read_committed"),
                    PREFIX + ".public.bench_marker");
            CpuMeter cpu = CpuMeter.start(source, target);
            long start = System.nanoTime();
            connect.resumeConnector("dbz-sink", WAIT);
            connect.resumeConnector("dbz-sink-history", WAIT);
            awaitMarker(target, 1);
            // the marker's sink applies only it; the history sink may still be behind
            BenchSupport.await("pgbench_history on the target", () -> historyCount(source).equals(historyCount(target)));
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = cpu.stop();
            boolean identical = BenchSupport.identical(source, target);
            System.out.println("debezium: the same workload again, source and sinks running");
            long e2eStart = System.nanoTime();
            pgbench.run(source, DB, transactions, clients);
            CatchUpBenchmark.markEnd(source, 2);
            awaitMarker(target, 2);
            BenchSupport.await("pgbench_history on the target", () -> historyCount(source).equals(historyCount(target)));
            double e2e = (System.nanoTime() - e2eStart) / 1e9;
            return new CatchUpBenchmark.Result(seconds, cpuSeconds, cpu.partsLine(), e2e,
                    identical && BenchSupport.identical(source, target),
                    BenchSupport.workerHeapPeakMb(connect));
        }
    }

    private static String historyCount(PostgresNode node) {
        return node.queryValue(DB, "SELECT count(*) FROM pgbench_history");
    }

    private static Map<String, String> sourceConfig(PostgresNode node) {
        Map<String, String> c = new HashMap<>();
        c.put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        c.put("tasks.max", "1");
        c.put("plugin.name", "pgoutput");
        c.put("database.hostname", node.host());
        c.put("database.port", Integer.toString(node.port()));
        c.put("database.user", PostgresNode.SUPERUSER);
        c.put("database.password", node.superuserPassword());
        c.put("database.dbname", DB);
        c.put("topic.prefix", PREFIX);
        c.put("slot.name", "dbz");
        c.put("publication.name", "dbz");
        c.put("publication.autocreate.mode", "all_tables");
        c.put("table.include.list", "public\\.pgbench_.*,public\\.bench_marker");
        // both sides start from the same pgbench -i, as pgmesh's snapshot.mode=never and native's copy_data = false
        c.put("snapshot.mode", "no_data");
        // the broker creates no topics by itself: Connect creates Debezium's, one partition each
        c.put("topic.creation.default.replication.factor", "1");
        c.put("topic.creation.default.partitions", "1");
        return c;
    }

    /** The upsert sink of the keyed tables, or the insert sink of pgbench_history. */
    private static Map<String, String> sinkConfig(PostgresNode node, boolean keyed) {
        Map<String, String> c = new HashMap<>();
        c.put("connector.class", "io.debezium.connector.jdbc.JdbcSinkConnector");
        c.put("tasks.max", "1");
        c.put("topics", String.join(",", (keyed ? KEYED : List.of("pgbench_history")).stream()
                .map(t -> PREFIX + ".public." + t).toList()));
        c.put("connection.url", node.jdbcUrl(DB));
        c.put("connection.username", PostgresNode.SUPERUSER);
        c.put("connection.password", node.superuserPassword());
        c.put("insert.mode", keyed ? "upsert" : "insert");
        c.put("primary.key.mode", keyed ? "record_key" : "none");
        c.put("schema.evolution", "none");
        c.put("transforms", "table");
        c.put("transforms.table.type", "org.apache.kafka.connect.transforms.RegexRouter");
        c.put("transforms.table.regex", PREFIX + "\\.public\\.(.*)");
        c.put("transforms.table.replacement", "$1");
        return c;
    }
}
