package io.pgmesh.quickstart;

import io.pgmesh.testkit.connect.BrokerProcess;
import io.pgmesh.testkit.connect.WorkerProcess;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The quickstart's servers, all real and on loopback: one PostgreSQL server per node, a KRaft
 * Kafka broker and a distributed Connect worker, each in a process of its own. The worker loads
 * the pgmesh connectors from their packaged plugin folders ({@code plugin.path}), as an
 * installation would. Closing stops every process it started.
 */
final class LocalMesh implements AutoCloseable {

    static final String DATABASE = "demo";

    private final Path work;
    private final Map<String, PostgresNode> nodes = new LinkedHashMap<>();
    private BrokerProcess broker;
    private WorkerProcess worker;

    private LocalMesh(Path work) {
        this.work = work;
    }

    /** Starts everything; on failure stops what it started and rethrows. */
    static LocalMesh start(Path root, Path work, List<String> names, PrintStream out) {
        LocalMesh mesh = new LocalMesh(work);
        try {
            for (String name : names) {
                PostgresNode node = PostgresNode.start(name);
                node.createDatabase(DATABASE);
                mesh.nodes.put(name, node);
                mesh.writePassword(name, node.superuserPassword());
                out.printf("  PostgreSQL %s on 127.0.0.1:%d%n", name, node.port());
            }
            String classpath = serverClasspath();
            mesh.broker = BrokerProcess.start(work.resolve("kafka"), classpath, 768);
            out.printf("  Kafka broker (KRaft) on %s%n", mesh.broker.bootstrapServers());
            String plugins = pluginFolders(root).stream().map(Path::toString).collect(Collectors.joining(","));
            mesh.worker = WorkerProcess.start(work.resolve("connect"), "pgmesh-quickstart",
                    mesh.broker.bootstrapServers(), 768, Map.of("plugin.path", plugins), classpath);
            out.printf("  Kafka Connect worker on %s (plugins from %s)%n", mesh.worker.restUrl(), plugins);
            return mesh;
        } catch (RuntimeException e) {
            mesh.close();
            throw e;
        }
    }

    /** The connectors' plugin folders the build made ({@code mvn package}). */
    static List<Path> pluginFolders(Path root) {
        List<Path> folders = List.of(root.resolve("source-connector/target/plugin"),
                root.resolve("sink-connector/target/plugin"));
        for (Path f : folders) {
            if (!Files.isDirectory(f)) {
                throw new IllegalStateException(f + " is missing: build the plugins first (bin/quickstart does,"
                        + " or mvn -DskipTests package)");
            }
        }
        return folders;
    }

    /**
     * This JVM's classpath without pgmesh's own jars and classes: Kafka's broker and Connect
     * runtime. The worker must find the connectors in their plugin folders, not here.
     */
    static String serverClasspath() {
        return Arrays.stream(WorkerProcess.testClasspath().split(File.pathSeparator))
                .filter(entry -> {
                    Path p = Path.of(entry);
                    String name = p.getFileName() == null ? "" : p.getFileName().toString();
                    return !name.startsWith("pgmesh-") && !entry.endsWith("target/classes")
                            && !entry.endsWith("target/test-classes");
                })
                .collect(Collectors.joining(File.pathSeparator));
    }

    private void writePassword(String name, String password) {
        try {
            Path dir = Files.createDirectories(work.resolve("passwords"));
            Path file = dir.resolve(name);
            Files.writeString(file, password, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The process ids of every server it started (PostgreSQL's postmasters, the broker, the worker). */
    List<Long> pids() {
        List<Long> pids = new ArrayList<>();
        nodes.values().forEach(n -> n.pid().ifPresent(pids::add));
        if (broker != null) {
            pids.add(broker.pid());
        }
        if (worker != null) {
            pids.add(worker.pid());
        }
        return pids;
    }

    Map<String, PostgresNode> nodes() {
        return nodes;
    }

    PostgresNode node(String name) {
        return nodes.get(name);
    }

    String bootstrapServers() {
        return broker.bootstrapServers();
    }

    WorkerProcess worker() {
        return worker;
    }

    Path work() {
        return work;
    }

    /** The cluster file pgmeshctl runs this mesh with (passwords from the environment it is given). */
    Path writeClusterFile() {
        StringBuilder yaml = new StringBuilder();
        yaml.append("connect: ").append(worker.restUrl()).append('\n');
        yaml.append("kafka: ").append(broker.bootstrapServers()).append('\n');
        yaml.append("source:\n  heartbeat.interval.ms: 1000\n  topic.replication.factor: 1\n");
        yaml.append("sink:\n  retry.backoff.ms: 200\n");
        yaml.append("nodes:\n");
        nodes.forEach((name, node) -> yaml.append("  - name: ").append(name).append('\n')
                .append("    host: 127.0.0.1\n")
                .append("    port: ").append(node.port()).append('\n')
                .append("    database: ").append(DATABASE).append('\n')
                .append("    user: ").append(PostgresNode.SUPERUSER).append('\n')
                .append("    passwordEnv: ").append(passwordVariable(name)).append('\n')
                .append("    sslmode: disable\n"));
        try {
            return Files.writeString(work.resolve("cluster.yaml"), yaml.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String passwordVariable(String node) {
        return "PGMESH_" + node.toUpperCase(java.util.Locale.ROOT) + "_PASSWORD";
    }

    /** The environment pgmeshctl gets: the nodes' passwords. */
    Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        nodes.forEach((name, node) -> env.put(passwordVariable(name), node.superuserPassword()));
        return env;
    }

    /** Stops the worker, the broker and every PostgreSQL server, whatever fails. */
    @Override
    public void close() {
        List<AutoCloseable> all = new ArrayList<>();
        all.add(worker);
        all.add(broker);
        all.addAll(nodes.values());
        for (AutoCloseable c : all) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("stopping " + c + ": " + e.getMessage());
            }
        }
        nodes.clear();
    }
}
