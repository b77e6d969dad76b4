package io.pgmesh.bench;

import static io.pgmesh.bench.BenchSupport.DB;
import static io.pgmesh.bench.BenchSupport.await;
import static io.pgmesh.bench.BenchSupport.awaitMarker;
import static io.pgmesh.bench.BenchSupport.identical;
import static io.pgmesh.bench.BenchSupport.server;

import io.pgmesh.testkit.PgmeshConfigs;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.util.List;
import java.util.Locale;

/**
 * Initial sync of an existing database: n1 holds {@code pgbench -i} data, n2 the same tables
 * empty. Timed from creating the connectors (source with its initial snapshot, sink) until n2 has
 * applied a marker committed on n1 after the snapshot point, so every snapshot row is in. The same
 * run does the same with a native subscription ({@code copy_data = true}) on two servers of its own,
 * timed until every table is synchronized and the marker is in; both copies are compared with
 * their origin.
 *
 * <p>Arguments (all optional): scale (default 10: 1,000,000 accounts).
 */
public final class InitialSyncBenchmark {

    private InitialSyncBenchmark() {
    }

    record Result(double seconds, boolean identical, long workerHeapMb) {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.io.pgmesh.source.snapshot", "info");
        int scale = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Pgbench pgbench = Pgbench.find();
        System.out.printf(Locale.ROOT, "Initial sync of a pgbench database at scale %d (%,d accounts) on %d cores%n",
                scale, scale * 100_000L, Runtime.getRuntime().availableProcessors());

        Result mesh = pgmesh(pgbench, scale);
        Result nativeLr = nativeReplication(pgbench, scale);

        System.out.println();
        System.out.printf(Locale.ROOT, "%-34s %10s %s%n", "", "sync", "identical");
        print("pgmesh (snapshot + sink)", mesh);
        print("PostgreSQL native (copy_data)", nativeLr);
        System.out.printf(Locale.ROOT, "ratio pgmesh / native: %.2f%n", mesh.seconds() / nativeLr.seconds());
        System.out.printf(Locale.ROOT, "Connect worker (a JVM of its own, -Xmx%dm): heap at most %d MB%n",
                BenchSupport.WORKER_HEAP_MB, mesh.workerHeapMb());
        System.exit(0);
    }

    private static void print(String name, Result r) {
        System.out.printf(Locale.ROOT, "%-34s %9.2fs %s%n", name, r.seconds(), r.identical() ? "yes" : "NO");
    }

    private static Result pgmesh(Pgbench pgbench, int scale) throws Exception {
        try (ConnectCluster connect = BenchSupport.connect("bench");
             PostgresNode n1 = server("n1"); PostgresNode n2 = server("n2")) {
            prepare(pgbench, scale, n1, n2);
            long start = System.nanoTime();
            connect.createConnector("src-n1", BenchSupport.withConverters(PgmeshConfigs.source(n1, DB, "n1",
                    connect.bootstrapServers())));
            connect.createConnector("sink-n2", BenchSupport.withConverters(PgmeshConfigs.sink(n2, DB, "n2", List.of("n1"))));
            await("slot pgmesh_n1", () -> !n1.query(DB, "SELECT 1 FROM pg_replication_slots WHERE slot_name = 'pgmesh_n1'"
                    + " AND confirmed_flush_lsn IS NOT NULL").isEmpty());
            n1.execute(DB, "INSERT INTO bench_marker VALUES (1)");
            awaitMarker(n2);
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Result(seconds, identical(n1, n2), BenchSupport.workerHeapPeakMb(connect));
        }
    }

    private static Result nativeReplication(Pgbench pgbench, int scale) throws Exception {
        try (PostgresNode publisher = server("native_pub"); PostgresNode subscriber = server("native_sub")) {
            prepare(pgbench, scale, publisher, subscriber);
            publisher.execute(DB, "CREATE PUBLICATION bench FOR ALL TABLES");
            long start = System.nanoTime();
            subscriber.execute(DB, "CREATE SUBSCRIPTION bench CONNECTION 'host=" + publisher.host() + " port="
                    + publisher.port() + " dbname=" + DB + " user=" + PostgresNode.SUPERUSER + " password="
                    + publisher.superuserPassword() + "' PUBLICATION bench WITH (copy_data = true)");
            publisher.execute(DB, "INSERT INTO bench_marker VALUES (1)");
            await("every table synchronized", () -> subscriber.query(DB,
                    "SELECT 1 FROM pg_subscription_rel WHERE srsubstate <> 'r'").isEmpty());
            awaitMarker(subscriber);
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Result(seconds, identical(publisher, subscriber), 0);
        }
    }

    /** pgbench data on the origin, the same tables empty on the copy, and a marker table on both. */
    private static void prepare(Pgbench pgbench, int scale, PostgresNode origin, PostgresNode copy) throws Exception {
        origin.createDatabase(DB);
        copy.createDatabase(DB);
        pgbench.initialize(origin, DB, scale);
        pgbench.createTables(copy, DB, scale);
        for (PostgresNode node : List.of(origin, copy)) {
            node.execute(DB, "CREATE TABLE bench_marker (id int PRIMARY KEY)", "CHECKPOINT");
        }
    }
}
