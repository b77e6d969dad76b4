package io.pgmesh.soak;

import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.Mesh;
import io.pgmesh.testkit.PgmeshConfigs;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.postgres.PostgresNode;
import io.pgmesh.testkit.workload.SoakWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The fault soak: a three-node mesh run as production runs Kafka and Connect (three KRaft
 * brokers, replication factor 3 and min.insync.replicas 2; two Connect workers in one group, so a
 * killed worker's tasks move to the other and exactly-once sources are fenced and resumed there),
 * writers on every node ({@link SoakWriter}), and every 30 to 90 s a fault picked at random: a
 * worker killed with SIGKILL, a PostgreSQL node stopped immediately, a broker restarted, a node
 * frozen for 30 s, a connector restarted or paused through REST, a task restarted. Nothing is done
 * by hand. At the end the writers stop and every table must be identical (ordered md5) on every
 * node within a bound, with no transaction lost or applied twice; it prints the faults, the
 * transactions committed, the time to converge and, on a difference, the rows that differ.
 *
 * <p>{@code soak/run-soak.sh [--minutes N] [--seed S]}; exit status 0 when the nodes converged.
 */
public final class FaultSoak {

    private static final List<String> NODES = List.of("n1", "n2", "n3");
    private static final Duration CONVERGE = Duration.ofMinutes(20);
    private static final Duration REST_WAIT = Duration.ofMinutes(3);

    private final Random random;
    private final ConnectCluster connect;
    private final Mesh mesh;
    private final List<String> faults = new ArrayList<>();
    private final long started = System.nanoTime();

    private FaultSoak(long seed, ConnectCluster connect, Mesh mesh) {
        this.random = new Random(seed);
        this.connect = connect;
        this.mesh = mesh;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        int minutes = Integer.parseInt(options.getOrDefault("minutes", "30"));
        long seed = Long.parseLong(options.getOrDefault("seed", Long.toString(System.nanoTime())));
        Path work = Path.of(options.getOrDefault("work", "soak/target/soak-work")).toAbsolutePath();
        System.out.printf("Fault soak: %d minutes, seed %d, work in %s%n", minutes, seed, work);
        ConnectCluster connect = ConnectCluster.startReplicated("soak", work, 3, 2, 768, Map.of());
        Mesh mesh = null;
        int status;
        try {
            mesh = Mesh.start(connect, NODES, List.of(SoakWriter.SCHEMA), FaultSoak::source, c -> c);
            status = new FaultSoak(seed, connect, mesh).run(Duration.ofMinutes(minutes), seed);
        } finally {
            Closeables.closeAll(mesh, connect);
        }
        System.exit(status);
    }

    private static Map<String, String> source(Map<String, String> config) {
        Map<String, String> source = new HashMap<>(PgmeshConfigs.exactlyOnce(config));
        source.put("topic.replication.factor", "-1");
        return source;
    }

    private int run(Duration length, long seed) throws Exception {
        List<SoakWriter> writers = new ArrayList<>();
        for (String node : NODES) {
            writers.add(new SoakWriter(mesh.server(node), Mesh.DATABASE, 40, seed + node.hashCode()).start());
        }
        long end = System.nanoTime() + length.toNanos();
        while (System.nanoTime() < end) {
            Thread.sleep(Math.min(30_000 + random.nextInt(60_000), Math.max(0, (end - System.nanoTime()) / 1_000_000)));
            if (System.nanoTime() < end) {
                inject();
            }
        }
        for (SoakWriter w : writers) {
            w.stop();
        }
        long stoppedAt = System.nanoTime();
        System.out.printf("%nWriters stopped after %d min. Faults injected (%d):%n", minutes(stoppedAt), faults.size());
        faults.forEach(f -> System.out.println("  " + f));
        for (int i = 0; i < NODES.size(); i++) {
            SoakWriter w = writers.get(i);
            System.out.printf("  %s: %d transactions committed, %d rolled back, %d failed by the node%n", NODES.get(i),
                    w.committed(), w.rolledBack(), w.failed());
        }
        return check(stoppedAt);
    }

    /** After the writers stopped: every node must have everything, identical, within the bound. */
    private int check(long stoppedAt) {
        try {
            mesh.awaitSynced(CONVERGE);
        } catch (Throwable e) {
            System.out.println("NOT CONVERGED within " + CONVERGE + ": " + e.getMessage());
            printStates();
            return 1;
        }
        System.out.printf("Converged %d s after the writers stopped%n",
                Duration.ofNanos(System.nanoTime() - stoppedAt).toSeconds());
        boolean same = true;
        for (String table : List.of("soak_kv", "soak_events")) {
            Map<String, String> digests = mesh.digests(table);
            boolean equal = digests.values().stream().distinct().count() == 1;
            same &= equal;
            System.out.printf("  %-12s %s %s%n", table, equal ? "identical" : "DIFFERS", digests);
            if (!equal) {
                System.out.println("  rows that differ: " + mesh.differences(table, table.equals("soak_kv") ? "k"
                        : "(node, seq)"));
            }
        }
        for (String node : NODES) {
            String twice = mesh.server(node).queryValue(Mesh.DATABASE,
                    "SELECT count(*) - count(DISTINCT (node, seq)) FROM soak_events");
            same &= "0".equals(twice);
            System.out.printf("  %s: %s transactions applied twice%n", node, twice);
        }
        System.out.println(same ? "RESULT: every node identical, nothing lost or applied twice"
                : "RESULT: THE NODES DIFFER");
        return same ? 0 : 1;
    }

    private void inject() {
        String node = NODES.get(random.nextInt(NODES.size()));
        String connector = (random.nextBoolean() ? "src-" : "sink-") + node;
        int kind = random.nextInt(7);
        String what = switch (kind) {
            case 0 -> "Connect worker " + (random.nextInt(2) + 1) + " killed (SIGKILL), restarted 5 s later";
            case 1 -> "PostgreSQL " + node + " stopped immediately (a crash), started 5 s later";
            case 2 -> "Kafka broker " + (random.nextInt(3) + 1) + " restarted (SIGTERM, 5 s down)";
            case 3 -> "PostgreSQL " + node + " frozen (SIGSTOP) for 30 s";
            case 4 -> "connector " + connector + " restarted with its tasks (REST)";
            case 5 -> "connector " + connector + " paused for 15 s (REST)";
            default -> "task 0 of " + connector + " restarted (REST)";
        };
        String at = Instant.now().toString();
        System.out.printf("[%s] fault: %s%n", at, what);
        try {
            apply(kind, what, node, connector);
            faults.add(minutes(System.nanoTime()) + " min: " + what);
        } catch (Throwable e) {
            faults.add(minutes(System.nanoTime()) + " min: " + what + " (the injection itself failed: " + e + ")");
            System.out.println("  the injection failed: " + e);
        }
    }

    private void apply(int kind, String what, String node, String connector) throws Exception {
        PostgresNode server = mesh.server(node);
        switch (kind) {
            case 0 -> {
                int worker = Integer.parseInt(what.substring("Connect worker ".length(), "Connect worker ".length() + 1));
                connect.workers().get(worker - 1).kill();
                Thread.sleep(5000);
                connect.workers().get(worker - 1).restart();
            }
            case 1 -> {
                server.stop(PostgresNode.StopMode.IMMEDIATE);
                Thread.sleep(5000);
                server.start();
            }
            case 2 -> {
                int broker = Integer.parseInt(what.substring("Kafka broker ".length(), "Kafka broker ".length() + 1));
                connect.brokers().get(broker - 1).restart(Duration.ofSeconds(5));
            }
            case 3 -> {
                server.freeze();
                try {
                    Thread.sleep(30_000);
                } finally {
                    server.unfreeze();
                }
            }
            case 4 -> connect.restartConnectorAndTasks(connector);
            case 5 -> {
                connect.pauseConnector(connector, REST_WAIT);
                Thread.sleep(15_000);
                connect.resumeConnector(connector, REST_WAIT);
            }
            default -> connect.restartTask(connector, 0);
        }
    }

    private void printStates() {
        for (String node : NODES) {
            for (String c : List.of("src-" + node, "sink-" + node)) {
                try {
                    System.out.println("  " + c + ": " + connect.status(c));
                } catch (RuntimeException e) {
                    System.out.println("  " + c + ": " + e);
                }
            }
        }
    }

    private long minutes(long nanos) {
        return Duration.ofNanos(nanos - started).toMinutes();
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: FaultSoak [--minutes N] [--seed S] [--work DIR]");
            }
            options.put(args[i].substring(2), args[++i]);
        }
        return options;
    }
}
