package io.pgmesh.quickstart;

import io.pgmesh.cli.Pgmeshctl;
import io.pgmesh.cli.cluster.ClusterFile;
import io.pgmesh.cli.cluster.NodeSpec;
import io.pgmesh.cli.ConnectClient;
import io.pgmesh.cli.status.MeshStatus;
import io.pgmesh.cli.status.NodeStatus;
import io.pgmesh.cli.status.SyncWait;
import io.pgmesh.common.Lsn;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * {@code bin/quickstart}: a real three-node pgmesh mesh on this machine. Starts three PostgreSQL
 * servers, a Kafka broker and a Connect worker (with the packaged plugins), prepares the nodes and
 * creates the six connectors with pgmeshctl, creates the demo table on one node (DDL replication
 * brings it to the others), runs a workload on all three nodes at once while showing per node what
 * it wrote, applied, how far behind it is and how many conflicts it resolved, then waits until every
 * node has everything and checks that all three are identical. Ctrl-C stops everything it started.
 *
 * <p>Exit status 0 when the convergence check passed, 1 when it or anything before failed, 2 for a
 * usage error.
 */
public final class Quickstart {

    private static final List<String> NODES = List.of("n1", "n2", "n3");
    private static final Duration SYNC_TIMEOUT = Duration.ofMinutes(5);

    /** What the command was asked to do. */
    record Options(Path root, Duration duration, boolean keepRunning, long pauseMillis) {
    }

    private final Options options;
    private final PrintStream out;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private LocalMesh mesh;
    private DemoWorkload workload;
    private final List<Long> started = new ArrayList<>();

    Quickstart(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public static void main(String[] args) {
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("quickstart: " + e.getMessage());
            System.err.println("usage: bin/quickstart [--duration SECONDS] [--keep-running]");
            System.exit(2);
            return;
        }
        System.exit(new Quickstart(options, System.out).run());
    }

    static Options parse(String[] args) {
        Path root = Path.of(System.getProperty("pgmesh.root", ".")).toAbsolutePath().normalize();
        long seconds = 30;
        boolean keep = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--duration" -> {
                    if (i + 1 >= args.length || !args[i + 1].matches("[1-9][0-9]{0,4}")) {
                        throw new IllegalArgumentException("--duration takes a whole number of seconds, 1 to 99999");
                    }
                    seconds = Long.parseLong(args[++i]);
                }
                case "--keep-running" -> keep = true;
                case "--root" -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("--root takes the pgmesh checkout's folder");
                    }
                    root = Path.of(args[++i]).toAbsolutePath().normalize();
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        return new Options(root, Duration.ofSeconds(seconds), keep, 20);
    }

    /** Runs the whole demo; returns the exit status. Everything started is stopped before it returns. */
    int run() {
        Thread hook = new Thread(this::stopEverything, "quickstart-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        boolean passed = false;
        Path work = options.root().resolve("quickstart-work");
        try {
            passed = demo(work);
            if (passed && options.keepRunning()) {
                keepRunning(work);
            }
        } catch (RuntimeException e) {
            out.println();
            out.println("FAILED: " + e.getMessage());
            out.println("Logs stay in " + work + " (kafka/broker.log, connect/worker.log).");
        } finally {
            stopEverything();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down already: the hook ran
            }
        }
        if (passed) {
            deleteRecursively(work);
            out.println("Stopped every server the quickstart started and removed " + work + ".");
        }
        return passed ? 0 : 1;
    }

    private boolean demo(Path work) {
        out.printf("pgmesh quickstart: a three-node multi-master mesh on this machine%n%n");
        deleteRecursively(work);
        out.println("Starting the servers");
        mesh = LocalMesh.start(options.root(), work, NODES, out);
        started.addAll(mesh.pids());
        Path clusterFile = mesh.writeClusterFile();
        out.printf("%nPreparing the nodes and creating the six connectors with pgmeshctl (%s)%n", clusterFile);
        pgmeshctl("init", clusterFile);
        pgmeshctl("apply", clusterFile);
        ClusterFile cluster = ClusterFile.read(clusterFile);

        out.printf("%nCreating table accounts on n1 only: DDL replication creates it on n2 and n3%n");
        for (int i = 0; i < NODES.size(); i++) {
            mesh.node(NODES.get(i)).execute(LocalMesh.DATABASE, "SELECT pgmesh.set_node_number(" + (i + 1) + ")");
        }
        mesh.node("n1").execute(LocalMesh.DATABASE, DemoWorkload.CREATE,
                "INSERT INTO accounts (id, owner, updated_on) SELECT g, 'shared ' || g, 'n1' FROM generate_series(1, "
                        + DemoWorkload.SHARED + ") AS g");
        syncAll(cluster);
        out.printf("  accounts is on every node with its %d shared rows%n", DemoWorkload.SHARED);

        out.printf("%nRunning the workload on n1, n2 and n3 at once for %d s: each transaction updates a shared"
                + " account (nodes collide), opens an account, now and then closes one%n", options.duration().toSeconds());
        workload = new DemoWorkload(NODES.stream().map(mesh::node).toList(), options.pauseMillis());
        workload.start();
        showProgress(cluster);
        workload.stop();

        out.printf("%nWorkload stopped. Waiting until every node has applied everything every other node wrote%n");
        syncAll(cluster);
        return converged(cluster);
    }

    /** The process ids of the servers the run started (all gone once {@link #run} returned). */
    List<Long> startedProcesses() {
        return List.copyOf(started);
    }

    private void showProgress(ClusterFile cluster) {
        MeshStatus status = new MeshStatus(cluster, new ConnectClient(cluster.connect()), mesh.environment()::get);
        long started = System.nanoTime();
        long end = started + options.duration().toNanos();
        while (System.nanoTime() < end && !stopped.get()) {
            sleep(Math.min(3000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            long elapsed = (System.nanoTime() - started) / 1_000_000_000L;
            for (NodeStatus n : status.gather()) {
                out.printf("  %4d s  %s%n", elapsed, line(n));
            }
        }
    }

    private String line(NodeStatus n) {
        StringBuilder s = new StringBuilder(n.node()).append(": wrote ").append(workload.committed(n.node()))
                .append(" tx; applied");
        long conflicts = 0;
        for (NodeStatus.OriginStatus o : n.origins()) {
            s.append(' ').append(o.transactions()).append(" from ").append(o.origin()).append(" (lag ")
                    .append(o.lagMillis() < 0 ? "?" : o.lagMillis() + " ms").append(')');
            conflicts += o.conflicts();
        }
        s.append("; conflicts resolved ").append(conflicts);
        if (n.problem() != null) {
            s.append("; PROBLEM: ").append(n.problem());
        }
        if (!n.source().startsWith("RUNNING") || !n.sink().startsWith("RUNNING")) {
            s.append("; source ").append(n.source()).append(", sink ").append(n.sink());
        }
        return s.toString();
    }

    /** Every node writes a sync event, and every other node is waited for until it applied it. */
    private void syncAll(ClusterFile cluster) {
        SyncWait sync = new SyncWait(mesh.environment()::get);
        Map<NodeSpec, Lsn> events = new LinkedHashMap<>();
        for (NodeSpec node : cluster.nodes()) {
            events.put(node, sync.emit(node));
        }
        for (NodeSpec node : cluster.nodes()) {
            for (Map.Entry<NodeSpec, Lsn> e : events.entrySet()) {
                if (!e.getKey().name().equals(node.name())) {
                    sync.await(node, e.getKey(), e.getValue(), SYNC_TIMEOUT);
                }
            }
        }
    }

    private boolean converged(ClusterFile cluster) {
        Map<String, String> digests = new LinkedHashMap<>();
        for (String node : NODES) {
            digests.put(node, mesh.node(node).queryValue(LocalMesh.DATABASE, "SELECT count(*) || ' rows, md5 '"
                    + " || md5(coalesce(string_agg(a::text, E'\\n' ORDER BY a.id), '')) FROM accounts AS a"));
        }
        digests.forEach((node, digest) -> out.printf("  %s: %s%n", node, digest));
        boolean identical = digests.values().stream().distinct().count() == 1;
        out.println();
        if (identical) {
            out.printf("Convergence check PASSED: n1, n2 and n3 are identical (%s).%n", digests.get("n1"));
        } else {
            out.println("Convergence check FAILED: the nodes differ (see above).");
        }
        return identical;
    }

    private void keepRunning(Path work) {
        out.printf("%nThe mesh keeps running until you press Ctrl-C. Connect to a node with%n");
        for (String node : NODES) {
            PostgresNode n = mesh.node(node);
            out.printf("  PGPASSWORD=$(cat %s) psql -h 127.0.0.1 -p %d -U postgres %s%n",
                    work.resolve("passwords").resolve(node), n.port(), LocalMesh.DATABASE);
        }
        out.printf("and see the mesh with%n  bin/pgmeshctl status --cluster %s%n", work.resolve("cluster.yaml"));
        out.printf("(with %s set to the passwords in %s)%n", String.join(", ",
                NODES.stream().map(LocalMesh::passwordVariable).toList()), work.resolve("passwords"));
        while (!stopped.get()) {
            sleep(1000);
        }
    }

    private void pgmeshctl(String command, Path clusterFile) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        int status = Pgmeshctl.run(new String[] {command, "--cluster", clusterFile.toString(), "--timeout", "5"}, print,
                print, mesh.environment()::get);
        buffer.toString(StandardCharsets.UTF_8).lines().forEach(l -> out.println("  " + l));
        if (status != 0) {
            throw new IllegalStateException("pgmeshctl " + command + " failed (exit status " + status + ")");
        }
    }

    /** Stops the workload and every server; safe to call more than once and from the shutdown hook. */
    private void stopEverything() {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        if (workload != null) {
            workload.close();
        }
        if (mesh != null) {
            out.println("Stopping the Connect worker, the Kafka broker and the PostgreSQL servers");
            mesh.close();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(paths.sorted(Comparator.reverseOrder()).toList());
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("could not remove " + dir + ": " + e.getMessage());
        }
    }
}
