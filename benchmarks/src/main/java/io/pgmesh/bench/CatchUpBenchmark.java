package io.pgmesh.bench;

import static io.pgmesh.bench.BenchSupport.DB;
import static io.pgmesh.bench.BenchSupport.await;
import static io.pgmesh.bench.BenchSupport.awaitMarker;
import static io.pgmesh.bench.BenchSupport.identical;
import static io.pgmesh.bench.BenchSupport.server;

import io.pgmesh.testkit.PgmeshConfigs;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Catch-up of a backlog: n1 takes pgbench TPC-B transactions while n2 does not apply, then n2
 * applies them all; timed from "go" to the last transaction applied. Then end to end: the same
 * number of transactions again with replication running, timed from the workload's start to its
 * last transaction applied on n2. The same run does the same with PostgreSQL's native logical
 * replication (a disabled subscription, then enabled), on two servers of its own, and prints both
 * and their ratio, with the CPU time every process used during the catch-up.
 *
 * <p>Arguments (all optional): scale (default 10), transactions (40000), clients (4).
 */
public final class CatchUpBenchmark {

    private static final Duration WAIT = Duration.ofMinutes(30);
    private static final boolean PROFILE = "1".equals(System.getenv("PGMESH_BENCH_PROFILE"));

    private CatchUpBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        int scale = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int transactions = args.length > 1 ? Integer.parseInt(args[1]) : 40_000;
        int clients = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        Pgbench pgbench = Pgbench.find();
        System.out.printf(Locale.ROOT, "Catch-up and end to end of %,d pgbench TPC-B transactions (scale %d, %d clients)"
                + " on %d cores, after a warm-up of %,d%n", transactions, scale, clients,
                Runtime.getRuntime().availableProcessors(), BenchSupport.WARMUP_TRANSACTIONS);

        Result mesh = pgmesh(pgbench, scale, transactions, clients);
        print("pgmesh (Kafka Connect sink)", mesh, transactions);
        Result nativeLr = nativeReplication(pgbench, scale, transactions, clients);
        print("PostgreSQL native logical repl.", nativeLr, transactions);
        java.nio.file.Path plugins = DebeziumPeer.plugins();
        Result debezium = plugins == null ? null : DebeziumPeer.run(pgbench, scale, transactions, clients, plugins);

        System.out.println();
        System.out.printf(Locale.ROOT, "%-34s %10s %14s %10s %12s %s%n", "", "catch-up", "transactions/s", "CPU",
                "end to end", "identical");
        print("pgmesh (Kafka Connect sink)", mesh, transactions);
        print("PostgreSQL native logical repl.", nativeLr, transactions);
        if (debezium != null) {
            print("Debezium PG source + JDBC sink", debezium, transactions);
        }
        System.out.printf(Locale.ROOT, "ratio pgmesh / native: catch-up %.2f, end to end %.2f, CPU of the catch-up %.2f%n",
                mesh.catchUpSeconds() / nativeLr.catchUpSeconds(), mesh.endToEndSeconds() / nativeLr.endToEndSeconds(),
                mesh.catchUpCpuSeconds() / nativeLr.catchUpCpuSeconds());
        if (debezium != null) {
            System.out.printf(Locale.ROOT, "ratio pgmesh / Debezium: catch-up %.2f, end to end %.2f, CPU of the catch-up"
                    + " %.2f (Debezium / pgmesh catch-up: %.2fx)%n", mesh.catchUpSeconds() / debezium.catchUpSeconds(),
                    mesh.endToEndSeconds() / debezium.endToEndSeconds(),
                    mesh.catchUpCpuSeconds() / debezium.catchUpCpuSeconds(),
                    debezium.catchUpSeconds() / mesh.catchUpSeconds());
        }
        System.out.println("CPU of the catch-up by process:");
        System.out.println("  pgmesh: " + mesh.catchUpCpuParts());
        System.out.println("  native: " + nativeLr.catchUpCpuParts());
        if (debezium != null) {
            System.out.println("  Debezium: " + debezium.catchUpCpuParts());
        }
        System.out.printf(Locale.ROOT, "Connect worker (a JVM of its own, -Xmx%dm): heap at most %d MB%s%n",
                BenchSupport.WORKER_HEAP_MB, mesh.workerHeapMb(),
                debezium == null ? "" : " (Debezium's worker: " + debezium.workerHeapMb() + " MB)");
        System.exit(0);
    }

    /**
     * @param catchUpCpuSeconds CPU time of every process of the benchmark (broker, worker, servers)
     *                          during the catch-up, all cores together
     * @param catchUpCpuParts   the same, by process (see {@link CpuMeter#partsLine})
     * @param endToEndSeconds   from the start of a second workload of the same size, with
     *                          replication running, to its last transaction applied
     */
    record Result(double catchUpSeconds, double catchUpCpuSeconds, String catchUpCpuParts, double endToEndSeconds,
                  boolean identical, long workerHeapMb) {
    }

    private static void print(String name, Result r, int transactions) {
        System.out.printf(Locale.ROOT, "%-34s %9.2fs %14.0f %9.1fs %11.2fs %s%n", name, r.catchUpSeconds(),
                transactions / r.catchUpSeconds(), r.catchUpCpuSeconds(), r.endToEndSeconds(),
                r.identical() ? "yes" : "NO");
    }

    private static Result pgmesh(Pgbench pgbench, int scale, int transactions, int clients) throws Exception {
        try (ConnectCluster connect = BenchSupport.connect("bench");
             PostgresNode n1 = server("n1"); PostgresNode n2 = PROFILE ? profiledServer("n2") : server("n2")) {
            prepare(pgbench, scale, n1, n2);
            connect.kafka().createTopic("pgmesh.n1", 1, 1, java.util.Map.of("cleanup.policy", "compact"));
            Map<String, String> source = new HashMap<>(PgmeshConfigs.source(n1, DB, "n1", connect.bootstrapServers()));
            source.put("snapshot.mode", "never");  // both sides start from the same pgbench -i, as native's copy_data = false
            connect.createConnector("src-n1", BenchSupport.withConverters(source));
            connect.createConnector("sink-n2", BenchSupport.withConverters(PgmeshConfigs.sink(n2, DB, "n2", List.of("n1"))));
            connect.awaitRunning("src-n1", 1, WAIT);
            connect.awaitRunning("sink-n2", 1, WAIT);
            await("slot pgmesh_n1", () -> !n1.query(DB, "SELECT 1 FROM pg_replication_slots WHERE slot_name = 'pgmesh_n1'"
                    + " AND confirmed_flush_lsn IS NOT NULL").isEmpty());
            BenchSupport.warmUp("pgmesh", pgbench, n1, n2, clients, () -> true);
            connect.pauseConnector("sink-n2", WAIT);
            System.out.println("pgmesh: running the workload on n1 with n2's sink paused");
            pgbench.run(n1, DB, transactions, clients);
            String marker = markEnd(n1, 1);
            await("n1's changes in Kafka", () -> Boolean.parseBoolean(n1.queryValue(DB, "SELECT (confirmed_flush_lsn >= '"
                    + marker + "')::text FROM pg_replication_slots WHERE slot_name = 'pgmesh_n1'")));
            if (PROFILE) {
                n2.execute(DB, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", "SELECT pg_stat_statements_reset()");
            }
            CpuMeter cpu = CpuMeter.start(n1, n2);
            long start = System.nanoTime();
            connect.resumeConnector("sink-n2", WAIT);
            awaitMarker(n2, 1);
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = cpu.stop();
            if (PROFILE) {
                printStatementProfile(n2, seconds);
            }
            boolean identical = identical(n1, n2);
            System.out.println("pgmesh: the same workload again, source and sink running");
            long e2eStart = System.nanoTime();
            pgbench.run(n1, DB, transactions, clients);
            markEnd(n1, 2);
            awaitMarker(n2, 2);
            double e2e = (System.nanoTime() - e2eStart) / 1e9;
            return new Result(seconds, cpuSeconds, cpu.partsLine(), e2e, identical && identical(n1, n2),
                    BenchSupport.workerHeapPeakMb(connect));
        }
    }

    private static Result nativeReplication(Pgbench pgbench, int scale, int transactions, int clients) throws Exception {
        try (PostgresNode publisher = server("native_pub"); PostgresNode subscriber = server("native_sub")) {
            prepare(pgbench, scale, publisher, subscriber);
            publisher.execute(DB, "CREATE PUBLICATION bench FOR ALL TABLES");
            subscriber.execute(DB, "CREATE SUBSCRIPTION bench CONNECTION 'host=" + publisher.host() + " port="
                    + publisher.port() + " dbname=" + DB + " user=" + PostgresNode.SUPERUSER + " password="
                    + publisher.superuserPassword() + "' PUBLICATION bench WITH (copy_data = false)");
            await("subscription streaming", () -> !subscriber.query(DB,
                    "SELECT 1 FROM pg_stat_subscription WHERE subname = 'bench' AND received_lsn IS NOT NULL").isEmpty());
            BenchSupport.warmUp("native", pgbench, publisher, subscriber, clients, () -> true);
            subscriber.execute(DB, "ALTER SUBSCRIPTION bench DISABLE");
            await("subscription stopped", () -> subscriber.query(DB,
                    "SELECT 1 FROM pg_stat_subscription WHERE subname = 'bench' AND pid IS NOT NULL").isEmpty());
            System.out.println("native: running the workload on the publisher with the subscription disabled");
            pgbench.run(publisher, DB, transactions, clients);
            markEnd(publisher, 1);
            CpuMeter cpu = CpuMeter.start(publisher, subscriber);
            long start = System.nanoTime();
            subscriber.execute(DB, "ALTER SUBSCRIPTION bench ENABLE");
            awaitMarker(subscriber, 1);
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = cpu.stop();
            boolean identical = identical(publisher, subscriber);
            System.out.println("native: the same workload again, subscription enabled");
            long e2eStart = System.nanoTime();
            pgbench.run(publisher, DB, transactions, clients);
            markEnd(publisher, 2);
            awaitMarker(subscriber, 2);
            double e2e = (System.nanoTime() - e2eStart) / 1e9;
            return new Result(seconds, cpuSeconds, cpu.partsLine(), e2e, identical && identical(publisher, subscriber), 0);
        }
    }

    /**
     * The sink side's server with pg_stat_statements, for {@code PGMESH_BENCH_PROFILE=1}: where the
     * server spends the catch-up, by statement.
     */
    private static PostgresNode profiledServer(String name) {
        return BenchSupport.builder(name).setting("shared_preload_libraries", "pg_stat_statements")
                .setting("pg_stat_statements.track", "all").setting("pg_stat_statements.track_planning", "on").start();
    }

    /** The statements the sink ran during the catch-up, by server time, and the share of the wall clock they took. */
    private static void printStatementProfile(PostgresNode node, double seconds) {
        System.out.printf(Locale.ROOT, "%nServer time on n2 during the %.2f s catch-up, by statement:%n", seconds);
        System.out.printf(Locale.ROOT, "%10s %10s %10s %7s  %s%n", "calls", "total ms", "mean us", "% wall", "statement");
        for (List<String> row : node.query(DB, "SELECT calls::text, round(total_exec_time + total_plan_time)::text,"
                + " round(1000 * (total_exec_time + total_plan_time) / calls)::text, left(regexp_replace(query, '\\s+',"
                + " ' ', 'g'), 110) FROM pg_stat_statements WHERE calls > 100 ORDER BY total_exec_time + total_plan_time"
                + " DESC LIMIT 12")) {
            System.out.printf(Locale.ROOT, "%10s %10s %10s %6.1f%%  %s%n", row.get(0), row.get(1), row.get(2),
                    Long.parseLong(row.get(1)) / (10 * seconds), row.get(3));
        }
    }

    /** The same pgbench tables on both servers, and a table that marks the end of the workload. */
    static void prepare(Pgbench pgbench, int scale, PostgresNode a, PostgresNode b) throws Exception {
        for (PostgresNode node : List.of(a, b)) {
            node.createDatabase(DB);
            pgbench.initialize(node, DB, scale);
            node.execute(DB, "CREATE TABLE bench_marker (id int PRIMARY KEY)", "CHECKPOINT");
        }
    }

    /** Commits marker {@code id} after a workload; returns the LSN after it. */
    static String markEnd(PostgresNode node, int id) {
        node.execute(DB, "INSERT INTO bench_marker VALUES (" + id + ")");
        return node.queryValue(DB, "SELECT pg_current_wal_lsn()::text");
    }
}
