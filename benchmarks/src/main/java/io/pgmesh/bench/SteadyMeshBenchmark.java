package io.pgmesh.bench;

import static io.pgmesh.bench.BenchSupport.DB;
import static io.pgmesh.bench.BenchSupport.await;
import static io.pgmesh.bench.BenchSupport.awaitMarker;
import static io.pgmesh.bench.BenchSupport.identical;
import static io.pgmesh.bench.BenchSupport.server;

import io.pgmesh.testkit.PgmeshConfigs;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A steady two-node mesh: pgbench at a fixed rate on both nodes at once (the same rows collide;
 * last-update-wins settles them), and a probe row committed on each node every 100 ms. On the
 * peer, a trigger that fires only for replicated rows stamps the probe with the time it was
 * applied; the probe's commit timestamp there is the origin's commit time (PostgreSQL records the
 * origin's for an applied transaction), so each probe's lag is "committed on one node to applied
 * on the other", both clocks being this machine's. Prints p50, p99 and max lag per direction,
 * p99 of the first and of the second half (growing or not), and whether both nodes end identical.
 * The same run does the same with PostgreSQL's native logical replication both ways
 * ({@code origin = none}), which has no conflict resolution.
 *
 * <p>Arguments (all optional): rate per node (default 500 transactions/s), seconds (60), scale (10).
 */
public final class SteadyMeshBenchmark {

    private static final int CLIENTS = 4;
    private static final int PROBE_INTERVAL_MS = 100;

    private SteadyMeshBenchmark() {
    }

    record Lag(double p50, double p99, double max, double firstHalfP99, double secondHalfP99, int probes) {
    }

    record Result(double tps1, double tps2, Lag toN2, Lag toN1, boolean identical, long workerHeapMb) {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        int rate = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        int scale = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        Pgbench pgbench = Pgbench.find();
        System.out.printf(Locale.ROOT, "Steady two-node mesh: pgbench TPC-B at %d transactions/s on each node for %d s"
                + " (scale %d, %d clients each) on %d cores%n", rate, seconds, scale, CLIENTS,
                Runtime.getRuntime().availableProcessors());

        Result mesh = pgmesh(pgbench, rate, seconds, scale);
        Result nativeLr = nativeReplication(pgbench, rate, seconds, scale);

        System.out.println();
        System.out.printf(Locale.ROOT, "%-26s %-9s %9s %8s %8s %8s %13s %13s %s%n", "", "direction", "tps", "p50 ms",
                "p99 ms", "max ms", "p99 1st half", "p99 2nd half", "identical");
        print("pgmesh", mesh);
        print("PostgreSQL native (both ways)", nativeLr);
        System.out.printf(Locale.ROOT, "Connect worker (a JVM of its own, -Xmx%dm): heap at most %d MB%n",
                BenchSupport.WORKER_HEAP_MB, mesh.workerHeapMb());
        System.exit(0);
    }

    private static void print(String name, Result r) {
        line(name, "n1 -> n2", r.tps1(), r.toN2(), r.identical() ? "yes" : "NO");
        line("", "n2 -> n1", r.tps2(), r.toN1(), "");
    }

    private static void line(String name, String direction, double tps, Lag lag, String identical) {
        System.out.printf(Locale.ROOT, "%-26s %-9s %9.0f %8.0f %8.0f %8.0f %13.0f %13.0f %s%n", name, direction, tps,
                lag.p50(), lag.p99(), lag.max(), lag.firstHalfP99(), lag.secondHalfP99(), identical);
    }

    private static Result pgmesh(Pgbench pgbench, int rate, int seconds, int scale) throws Exception {
        try (ConnectCluster connect = BenchSupport.connect("steady");
             PostgresNode n1 = server("n1"); PostgresNode n2 = server("n2")) {
            prepare(pgbench, scale, n1, n2);
            for (PostgresNode n : List.of(n1, n2)) {
                String name = n.name();
                connect.kafka().createTopic("pgmesh." + name, 1, 1, Map.of("cleanup.policy", "compact"));
                Map<String, String> source = new HashMap<>(PgmeshConfigs.exactlyOnce(PgmeshConfigs.source(n, DB, name,
                        connect.bootstrapServers())));
                source.put("snapshot.mode", "never");  // both start from the same pgbench -i
                connect.createConnector("src-" + name, BenchSupport.withConverters(source));
            }
            connect.createConnector("sink-n1", BenchSupport.withConverters(PgmeshConfigs.sink(n1, DB, "n1", List.of("n2"))));
            connect.createConnector("sink-n2", BenchSupport.withConverters(PgmeshConfigs.sink(n2, DB, "n2", List.of("n1"))));
            for (String c : List.of("src-n1", "src-n2", "sink-n1", "sink-n2")) {
                connect.awaitRunning(c, 1, java.time.Duration.ofMinutes(5));
            }
            for (PostgresNode n : List.of(n1, n2)) {
                await("slot of " + n, () -> !n.query(DB, "SELECT 1 FROM pg_replication_slots WHERE"
                        + " confirmed_flush_lsn IS NOT NULL").isEmpty());
            }
            System.out.println("pgmesh: workload on both nodes");
            double[] tps = workload(pgbench, n1, n2, rate, seconds);
            n1.execute(DB, "INSERT INTO bench_marker VALUES (1)");
            n2.execute(DB, "INSERT INTO bench_marker VALUES (2)");
            awaitMarker(n2, 1);
            awaitMarker(n1, 2);
            return new Result(tps[0], tps[1], lag(n2, "n1"), lag(n1, "n2"), identical(n1, n2),
                    BenchSupport.workerHeapPeakMb(connect));
        }
    }

    private static Result nativeReplication(Pgbench pgbench, int rate, int seconds, int scale) throws Exception {
        try (PostgresNode n1 = server("native1"); PostgresNode n2 = server("native2")) {
            prepare(pgbench, scale, n1, n2);
            for (PostgresNode n : List.of(n1, n2)) {
                n.execute(DB, "CREATE PUBLICATION bench FOR ALL TABLES");
            }
            subscribe(n1, n2);
            subscribe(n2, n1);
            System.out.println("native: workload on both nodes");
            double[] tps = workload(pgbench, n1, n2, rate, seconds);
            n1.execute(DB, "INSERT INTO bench_marker VALUES (1)");
            n2.execute(DB, "INSERT INTO bench_marker VALUES (2)");
            awaitMarker(n2, 1);
            awaitMarker(n1, 2);
            return new Result(tps[0], tps[1], lag(n2, "native1"), lag(n1, "native2"), identical(n1, n2), 0);
        }
    }

    /** {@code subscriber} subscribes to {@code publisher}'s own changes only (origin = none), from now on. */
    private static void subscribe(PostgresNode subscriber, PostgresNode publisher) throws InterruptedException {
        String name = "from_" + publisher.name();
        subscriber.execute(DB, "CREATE SUBSCRIPTION " + name + " CONNECTION 'host=" + publisher.host() + " port="
                + publisher.port() + " dbname=" + DB + " user=" + PostgresNode.SUPERUSER + " password="
                + publisher.superuserPassword() + "' PUBLICATION bench WITH (copy_data = false, origin = none)");
        await("subscription " + name + " streaming", () -> !subscriber.query(DB, "SELECT 1 FROM pg_stat_subscription"
                + " WHERE subname = '" + name + "' AND received_lsn IS NOT NULL").isEmpty());
    }

    /** pgbench on both nodes at once and a probe every 100 ms on each; returns each node's tps. */
    private static double[] workload(Pgbench pgbench, PostgresNode n1, PostgresNode n2, int rate, int seconds)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            Future<Double> b1 = pool.submit(() -> pgbench.runAtRate(n1, DB, rate, seconds, CLIENTS));
            Future<Double> b2 = pool.submit(() -> pgbench.runAtRate(n2, DB, rate, seconds, CLIENTS));
            List<Future<?>> probes = new ArrayList<>();
            for (PostgresNode n : List.of(n1, n2)) {
                probes.add(pool.submit(() -> probe(n, seconds)));
            }
            double[] tps = {b1.get(), b2.get()};
            for (Future<?> f : probes) {
                f.get();
            }
            return tps;
        } finally {
            pool.shutdownNow();
        }
    }

    private static Void probe(PostgresNode node, int seconds) throws Exception {
        try (Connection c = node.connect(DB);
             PreparedStatement insert = c.prepareStatement("INSERT INTO bench_probe (node, seq) VALUES (?, ?)")) {
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            for (int seq = 0; System.nanoTime() < end; seq++) {
                insert.setString(1, node.name());
                insert.setInt(2, seq);
                insert.executeUpdate();
                Thread.sleep(PROBE_INTERVAL_MS);
            }
        }
        return null;
    }

    /** The lag of the probes {@code origin} wrote, as applied on {@code node}, in ms, in probe order. */
    private static Lag lag(PostgresNode node, String origin) {
        List<Double> lags = new ArrayList<>();
        for (List<String> row : node.query(DB, "SELECT (extract(epoch FROM applied_at - pg_xact_commit_timestamp(xmin))"
                + " * 1000)::text FROM bench_probe WHERE node = '" + origin + "' ORDER BY seq")) {
            if (row.get(0) == null) {
                throw new IllegalStateException("a probe of " + origin + " on " + node + " has no apply time:"
                        + " the trigger did not fire or the row was not replicated");
            }
            lags.add(Double.parseDouble(row.get(0)));
        }
        if (lags.isEmpty()) {
            throw new IllegalStateException("no probe of " + origin + " arrived on " + node);
        }
        int half = lags.size() / 2;
        return new Lag(percentile(lags, 50), percentile(lags, 99), percentile(lags, 100),
                percentile(lags.subList(0, Math.max(1, half)), 99), percentile(lags.subList(half, lags.size()), 99),
                lags.size());
    }

    private static double percentile(List<Double> values, double p) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        int index = (int) Math.ceil(p / 100 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    /**
     * The same pgbench data on both, a marker table, and the probe table whose trigger stamps
     * rows applied by replication (session_replication_role = replica, as pgmesh's sink and
     * PostgreSQL's apply workers run) with the time they were applied.
     */
    private static void prepare(Pgbench pgbench, int scale, PostgresNode a, PostgresNode b) throws Exception {
        for (PostgresNode node : List.of(a, b)) {
            node.createDatabase(DB);
            pgbench.initialize(node, DB, scale);
            node.execute(DB, "CREATE TABLE bench_marker (id int PRIMARY KEY)",
                    "CREATE TABLE bench_probe (node text, seq int, applied_at timestamptz, PRIMARY KEY (node, seq))",
                    "CREATE FUNCTION bench_probe_applied() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                            + " IF current_setting('session_replication_role') = 'replica' THEN"
                            + " NEW.applied_at := clock_timestamp(); END IF; RETURN NEW; END $$",
                    "CREATE TRIGGER bench_probe_applied BEFORE INSERT ON bench_probe FOR EACH ROW"
                            + " EXECUTE FUNCTION bench_probe_applied()",
                    "ALTER TABLE bench_probe ENABLE ALWAYS TRIGGER bench_probe_applied",
                    "CHECKPOINT");
        }
    }
}
