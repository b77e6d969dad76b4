package io.pgmesh.bench;

import static io.pgmesh.bench.BenchSupport.DB;
import static io.pgmesh.bench.BenchSupport.server;

import io.pgmesh.common.NodeName;
import io.pgmesh.common.TableId;
import io.pgmesh.common.schema.NodeSchema;
import io.pgmesh.sink.apply.LastUpdateWinsUpsert;
import io.pgmesh.sink.pipeline.PreparedShapes;
import io.pgmesh.sink.pipeline.StatementPipeline;
import io.pgmesh.sink.schema.TargetTable;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * What one row statement costs the node, by way of sending it: the server CPU (of the backend,
 * from /proc) and the wall time per statement of an upsert of {@code pgbench_accounts} (scale 10),
 * each in its own transaction with synchronous_commit off, as
 * <ul>
 *   <li>a plain {@code INSERT ... ON CONFLICT DO UPDATE}, prepared at the protocol level (what
 *       PostgreSQL's own apply does without any conflict check: the floor);</li>
 *   <li>the sink's last-update-wins upsert ({@link LastUpdateWinsUpsert}, the real text), prepared
 *       at the protocol level, one exchange per statement;</li>
 *   <li>the same statement as the sink sends it today: SQL {@code PREPARE} once, then
 *       {@code EXECUTE name(literals)} in exchanges of 200 statements ({@link StatementPipeline});</li>
 *   <li>the same statement prepared at the protocol level and sent 200 in one exchange (one
 *       multi-statement text with parameters, which pgjdbc names once it ran a few times).</li>
 * </ul>
 * Each round starts with another way, on a new session, with the table vacuumed between ways, so
 * that the machine's drift and the table's growth hit each way alike; the best round of each is
 * printed. Run on demand: {@code benchmarks/run-statement-cost.sh [statements] [rounds]}.
 */
public final class StatementCostBenchmark {

    private static final int PER_EXCHANGE = 200;
    private static final int WAYS = 4;
    private static final Instant REMOTE_TIME = Instant.parse("2030-01-01T00:00:00Z");

    private record Result(String way, double cpuMicros, double wallMicros) {
    }

    private StatementCostBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int statements = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        try (PostgresNode node = server("stmtcost")) {
            node.createDatabase(DB);
            Pgbench.find().initialize(node, DB, 10);
            try (Connection c = node.connect(DB)) {
                NodeSchema.bootstrap(c, new NodeName("n2"));
            }
            node.execute(DB, "SELECT pg_replication_origin_create('pgmesh_n1')", "VACUUM ANALYZE", "CHECKPOINT");
            long relid = Long.parseLong(node.queryValue(DB, "SELECT 'pgbench_accounts'::regclass::oid"));
            List<TargetTable.Column> columns = List.of(new TargetTable.Column("aid", "integer", false),
                    new TargetTable.Column("bid", "integer", false), new TargetTable.Column("abalance", "integer", false),
                    new TargetTable.Column("filler", "character(84)", false));
            TargetTable table = new TargetTable(new TableId("public", "pgbench_accounts"), relid, columns, List.of("aid"));
            LastUpdateWinsUpsert lww = new LastUpdateWinsUpsert(table);
            List<List<Result>> all = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                Result[] round = new Result[WAYS];
                for (int k = 0; k < WAYS; k++) {
                    int way = (k + r) % WAYS;
                    try (Connection c = session(node)) {
                        round[way] = run(way, c, lww, statements, r);
                    }
                    node.execute(DB, "VACUUM pgbench_accounts");
                }
                all.add(List.of(round));
            }
            System.out.printf("%nPer statement, best of %d rounds of %,d upserts of pgbench_accounts (scale 10):%n",
                    rounds, statements);
            System.out.printf("| way | backend CPU (us) | wall (us) |%n|---|---|---|%n");
            for (int way = 0; way < WAYS; way++) {
                int w = way;
                double cpu = all.stream().mapToDouble(l -> l.get(w).cpuMicros()).min().orElseThrow();
                double wall = all.stream().mapToDouble(l -> l.get(w).wallMicros()).min().orElseThrow();
                System.out.printf("| %s | %.1f | %.1f |%n", all.get(0).get(w).way(), cpu, wall);
            }
        }
    }

    private static Result run(int way, Connection c, LastUpdateWinsUpsert lww, int statements, int round)
            throws Exception {
        return switch (way) {
            case 0 -> plain(c, statements, round);
            case 1 -> prepared(c, lww, statements, round);
            case 2 -> executeLiterals(c, lww, statements, round);
            default -> composite(c, lww, statements, round);
        };
    }

    private static Connection session(PostgresNode node) throws SQLException {
        Connection c = node.connect(DB);
        c.setAutoCommit(true);
        try (Statement s = c.createStatement()) {
            s.execute("SET synchronous_commit = off");
            s.execute("SELECT pg_replication_origin_session_setup('pgmesh_n1')");
        }
        return c;
    }

    private static Result plain(Connection c, int statements, int round) throws Exception {
        Random random = new Random(round);
        String sql = "INSERT INTO pgbench_accounts AS t (aid, bid, abalance, filler) VALUES (?::integer, ?::integer,"
                + " ?::integer, ?::character(84)) ON CONFLICT (aid) DO UPDATE SET bid = EXCLUDED.bid,"
                + " abalance = EXCLUDED.abalance, filler = EXCLUDED.filler";
        try (PreparedStatement p = c.prepareStatement(sql)) {
            Meter m = new Meter(c);
            for (int i = 0; i < statements; i++) {
                Map<String, String> row = row(random);
                for (int k = 0; k < COLUMNS.size(); k++) {
                    p.setString(k + 1, row.get(COLUMNS.get(k)));
                }
                p.executeUpdate();
            }
            return m.result("plain upsert, protocol-prepared (no conflict check)", statements);
        }
    }

    private static Result prepared(Connection c, LastUpdateWinsUpsert lww, int statements, int round) throws Exception {
        Random random = new Random(round);
        try (PreparedStatement p = c.prepareStatement(lww.text())) {
            Meter m = new Meter(c);
            for (int i = 0; i < statements; i++) {
                List<String> values = arguments(lww, random, i);
                for (int k = 0; k < values.size(); k++) {
                    p.setString(k + 1, values.get(k));
                }
                try (ResultSet rs = p.executeQuery()) {
                    rs.next();
                }
            }
            return m.result("last-update-wins upsert, protocol-prepared, one exchange each", statements);
        }
    }

    private static Result executeLiterals(Connection c, LastUpdateWinsUpsert lww, int statements, int round)
            throws Exception {
        Random random = new Random(round);
        PreparedShapes shapes = PreparedShapes.of(null, c);
        StatementPipeline pipeline = new StatementPipeline();
        Meter m = new Meter(c);
        for (int i = 0; i < statements; i++) {
            List<String> values = arguments(lww, random, i);
            pipeline.add(lww.text(), a -> values.forEach(a::text), rs -> rs.next());
            if (pipeline.size() == PER_EXCHANGE || i == statements - 1) {
                pipeline.execute(c, shapes);
            }
        }
        return m.result("last-update-wins upsert, SQL EXECUTE with literals, " + PER_EXCHANGE + " per exchange (today)",
                statements);
    }

    /**
     * The statement {@value #PER_EXCHANGE} times in one text, bound as parameters: pgjdbc sends the
     * statements in one exchange and, after its prepareThreshold, as protocol-level named
     * statements (what the sink could send instead of EXECUTE with literals).
     */
    private static Result composite(Connection c, LastUpdateWinsUpsert lww, int statements, int round) throws Exception {
        Random random = new Random(round);
        String text = String.join(";\n", Collections.nCopies(PER_EXCHANGE, lww.text()));
        try (PreparedStatement p = c.prepareStatement(text)) {
            Meter m = new Meter(c);
            int done = 0;
            while (done + PER_EXCHANGE <= statements) {
                int index = 1;
                for (int s = 0; s < PER_EXCHANGE; s++) {
                    for (String v : arguments(lww, random, done + s)) {
                        p.setString(index++, v);
                    }
                }
                boolean rows = p.execute();
                while (rows || p.getUpdateCount() != -1) {
                    rows = p.getMoreResults();
                }
                done += PER_EXCHANGE;
            }
            return m.result("last-update-wins upsert, protocol-prepared, " + PER_EXCHANGE + " per exchange", done);
        }
    }

    private static final List<String> COLUMNS = List.of("aid", "bid", "abalance", "filler");

    /** A random row of pgbench_accounts as text, by column. */
    private static Map<String, String> row(Random random) {
        return Map.of("aid", String.valueOf(1 + random.nextInt(1_000_000)), "bid", "1",
                "abalance", String.valueOf(random.nextInt(10_000) - 5_000), "filler", "x");
    }

    /** The arguments of the {@code i}-th statement: a random row from n1, each a microsecond later. */
    private static List<String> arguments(LastUpdateWinsUpsert lww, Random random, int i) {
        return lww.arguments(row(random), REMOTE_TIME.plusNanos(i * 1000L).toString(), "n1");
    }

    /** The backend's CPU and the wall time since it was made. */
    private static final class Meter {
        private final long pid;
        private final double cpu0;
        private final long wall0 = System.nanoTime();

        Meter(Connection c) throws Exception {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                pid = rs.getLong(1);
            }
            cpu0 = CpuMeter.secondsOf(pid);
        }

        Result result(String way, int statements) {
            double cpu = (CpuMeter.secondsOf(pid) - cpu0) * 1_000_000 / statements;
            double wall = (System.nanoTime() - wall0) / 1000.0 / statements;
            System.out.printf("%-80s backend CPU %6.1f us, wall %6.1f us per statement%n", way, cpu, wall);
            return new Result(way, cpu, wall);
        }
    }
}
