package io.pgmesh.testkit.connect;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;

/**
 * A real Kafka broker in KRaft mode (broker and controller in one process, as
 * {@code bin/kafka-server-start.sh} runs it), in a JVM of its own on loopback, its log in a folder
 * of its own; alone, or one of a cluster ({@link #startCluster}). Formatted on first start.
 */
public final class BrokerProcess implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private final Path dir;
    private final int port;
    private final String classpath;
    private final Path properties;
    private final int heapMb;
    private Process process;

    private BrokerProcess(Path dir, int port, String classpath, Path properties, int heapMb) {
        this.dir = dir;
        this.port = port;
        this.classpath = classpath;
        this.properties = properties;
        this.heapMb = heapMb;
    }

    /**
     * Formats and starts a new broker in {@code dir} with this classpath (Kafka's server jars on
     * it); data a broker of an earlier run left there is removed first.
     */
    public static BrokerProcess start(Path dir, String classpath, int heapMb) {
        return startCluster(dir, classpath, heapMb, 1).get(0);
    }

    /**
     * Formats and starts a KRaft cluster of {@code count} nodes, each a broker and a controller in
     * a process of its own (in {@code dir}/node-<id>), as a production cluster runs: with three or
     * more, internal topics and new topics get three replicas and min.insync.replicas 2.
     */
    public static List<BrokerProcess> startCluster(Path where, String classpath, int heapMb, int count) {
        // the processes run in their own directories: every path handed to them must be absolute
        Path dir = where.toAbsolutePath();
        try {
            List<Integer> ports = new ArrayList<>();
            List<Integer> controllerPorts = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                ports.add(ChildProcesses.freePort());
                controllerPorts.add(ChildProcesses.freePort());
            }
            StringBuilder voters = new StringBuilder();
            for (int i = 0; i < count; i++) {
                voters.append(i == 0 ? "" : ",").append(i + 1).append("@127.0.0.1:").append(controllerPorts.get(i));
            }
            String clusterId = Uuid.randomUuid().toString();
            List<BrokerProcess> brokers = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Path nodeDir = count == 1 ? dir : dir.resolve("node-" + (i + 1));
                Files.createDirectories(nodeDir);
                removeData(nodeDir.resolve("data"));
                Path properties = nodeDir.resolve("server.properties");
                Files.writeString(properties, String.join("\n", properties(i + 1, ports.get(i), controllerPorts.get(i),
                        voters.toString(), nodeDir.resolve("data"), count)) + "\n", StandardCharsets.UTF_8);
                BrokerProcess broker = new BrokerProcess(nodeDir, ports.get(i), classpath, properties, heapMb);
                broker.format(properties, clusterId, count == 1);
                brokers.add(broker);
            }
            for (BrokerProcess broker : brokers) {
                broker.spawn();
            }
            for (BrokerProcess broker : brokers) {
                broker.awaitAnswering();
            }
            return brokers;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Kafka brokers in " + dir, e);
        }
    }

    private static List<String> properties(int id, int port, int controllerPort, String voters, Path data, int count) {
        String replicas = Integer.toString(Math.min(3, count));
        String minIsr = count >= 3 ? "2" : "1";
        List<String> lines = new ArrayList<>(List.of(
                "process.roles=broker,controller",
                "node.id=" + id,
                count == 1 ? "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort
                        : "controller.quorum.voters=" + voters,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                "inter.broker.listener.name=PLAINTEXT",
                "log.dirs=" + data,
                "num.partitions=1",
                "default.replication.factor=" + replicas,
                "min.insync.replicas=" + minIsr,
                "offsets.topic.replication.factor=" + replicas,
                "transaction.state.log.replication.factor=" + replicas,
                "transaction.state.log.min.isr=" + minIsr,
                "share.coordinator.state.topic.replication.factor=" + replicas,
                "share.coordinator.state.topic.min.isr=" + minIsr,
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=false",
                "log.cleaner.backoff.ms=1000"));
        return lines;
    }

    private static void removeData(Path data) throws IOException {
        if (Files.exists(data)) {
            try (java.util.stream.Stream<Path> old = Files.walk(data)) {
                for (Path p : old.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private void format(Path properties, String clusterId, boolean standalone) throws IOException {
        List<String> args = new ArrayList<>(List.of("-Xmx256m", "-cp", classpath, "kafka.tools.StorageTool", "format"));
        if (standalone) {
            args.add("--standalone");
        }
        args.addAll(List.of("-t", clusterId, "-c", properties.toString()));
        Process f = new ProcessBuilder(java(args))
                .directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile())).start();
        try {
            if (!f.waitFor(120, TimeUnit.SECONDS) || f.exitValue() != 0) {
                f.destroyForcibly();
                throw new IllegalStateException("formatting the Kafka broker's storage failed; see " + logFile());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private void launch() throws IOException {
        spawn();
        awaitAnswering();
    }

    private void spawn() throws IOException {
        process = new ProcessBuilder(java(List.of("-Xmx" + heapMb + "m", "-cp", classpath, "kafka.Kafka",
                properties.toString()))).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile())).start();
    }

    private void awaitAnswering() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the Kafka broker exited with code " + process.exitValue()
                        + " while starting; see " + logFile());
            }
            if (answers()) {
                return;
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        throw new IllegalStateException("the Kafka broker did not start within " + START_TIMEOUT + "; see " + logFile());
    }

    private boolean answers() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        } catch (IOException e) {
            return false;
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers(),
                "request.timeout.ms", "3000", "default.api.timeout.ms", "5000"))) {
            return !admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty();
        } catch (Exception e) {
            return false;
        }
    }

    private static List<String> java(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(args);
        return command;
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public Path logFile() {
        return dir.resolve("broker.log");
    }

    /** The process id, while it runs or after it ended. */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Stops the broker (SIGTERM: a controlled shutdown), killing it if that takes too long. */
    @Override
    public void close() {
        ChildProcesses.stop(process, Duration.ofSeconds(30));
    }

    /**
     * Stops the broker as {@link #close} does, and starts it again on the same port with the
     * same data, as an operator restarts a broker process.
     */
    public synchronized void restart(Duration down) {
        close();
        try {
            Thread.sleep(down.toMillis());
            launch();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the Kafka broker in " + dir + " again", e);
        }
    }
}
