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
 * A real single-node Kafka broker in KRaft mode (broker and controller in one process, as
 * {@code bin/kafka-server-start.sh} runs it), in a JVM of its own on loopback, its log in a folder
 * of its own. Formatted on first start.
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
        try {
            Files.createDirectories(dir);
            Path data = dir.resolve("data");
            if (Files.exists(data)) {
                try (java.util.stream.Stream<Path> old = Files.walk(data)) {
                    for (Path p : old.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
            int port = ChildProcesses.freePort();
            int controllerPort = ChildProcesses.freePort();
            Path properties = dir.resolve("server.properties");
            Files.writeString(properties, String.join("\n", List.of(
                    "process.roles=broker,controller",
                    "node.id=1",
                    "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort,
                    "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                    "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                    "inter.broker.listener.name=PLAINTEXT",
                    "log.dirs=" + dir.resolve("data"),
                    "num.partitions=1",
                    "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=false",
                    "log.cleaner.backoff.ms=1000")) + "\n", StandardCharsets.UTF_8);
            BrokerProcess broker = new BrokerProcess(dir, port, classpath, properties, heapMb);
            broker.format(properties);
            broker.launch();
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a Kafka broker in " + dir, e);
        }
    }

    private void format(Path properties) throws IOException {
        Process f = new ProcessBuilder(java(List.of("-Xmx256m", "-cp", classpath, "kafka.tools.StorageTool", "format",
                "--standalone", "-t", Uuid.randomUuid().toString(), "-c", properties.toString())))
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
        process = new ProcessBuilder(java(List.of("-Xmx" + heapMb + "m", "-cp", classpath, "kafka.Kafka",
                properties.toString()))).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile())).start();
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
