package io.pgmesh.testkit.connect;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real distributed Kafka Connect worker in a JVM of its own ({@code ConnectDistributed}, as
 * {@code bin/connect-distributed.sh} starts it), with a fixed maximum heap: what a worker's memory
 * needs can be shown (the worker exits on {@code OutOfMemoryError}), and the worker can be killed
 * with SIGKILL as a real one can. Its classpath is this JVM's test classpath (Kafka Connect's
 * runtime and the pgmesh connectors), or plugins come from {@code plugin.path} when given.
 */
public final class WorkerProcess implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    /** A G1 or serial GC log line: heap before, after and committed, e.g. {@code 150M->30M(512M)}. */
    private static final Pattern GC_LINE = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");

    private final Path dir;
    private final Path propertiesFile;
    private final int heapMb;
    private final int restPort;
    private final String classpath;
    private Process process;

    private WorkerProcess(Path dir, Path propertiesFile, int heapMb, int restPort, String classpath) {
        this.dir = dir.toAbsolutePath();
        this.propertiesFile = propertiesFile;
        this.heapMb = heapMb;
        this.restPort = restPort;
        this.classpath = classpath;
    }

    /**
     * Starts a worker of Connect group {@code group} on the brokers at {@code bootstrapServers},
     * with {@code heapMb} MB of heap at most, and waits until its REST API answers.
     *
     * @param props worker settings that add to or override the configuration docs/operations.md
     *              gives ({@link DocumentedWorker}: JSON converters, exactly-once source support,
     *              Connect's defaults for the rest)
     */
    public static WorkerProcess start(Path dir, String group, String bootstrapServers, int heapMb,
                                      Map<String, String> props) {
        return start(dir, group, bootstrapServers, heapMb, props, testClasspath());
    }

    /**
     * As {@link #start(Path, String, String, int, Map)}, with the worker's classpath given: Kafka
     * Connect's runtime, and the pgmesh connectors unless {@code plugin.path} in {@code props} holds
     * them as installed plugins.
     */
    public static WorkerProcess start(Path dir, String group, String bootstrapServers, int heapMb,
                                      Map<String, String> props, String classpath) {
        try {
            Files.createDirectories(dir);
            int port = ChildProcesses.freePort();
            // as docs/operations.md says, with this machine's brokers, port and plugins
            Map<String, String> worker = new LinkedHashMap<>(DocumentedWorker.properties());
            worker.put("bootstrap.servers", bootstrapServers);
            worker.put("group.id", group);
            worker.put("listeners", "http://127.0.0.1:" + port);
            worker.remove("plugin.path");
            worker.putAll(props);
            StringBuilder text = new StringBuilder();
            worker.forEach((k, v) -> text.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
            Path file = dir.resolve("worker.properties");
            Files.writeString(file, text.toString(), StandardCharsets.UTF_8);
            WorkerProcess w = new WorkerProcess(dir, file, heapMb, port, classpath);
            w.launch();
            return w;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a Connect worker in " + dir, e);
        }
    }

    /** The classpath of the tests running now (surefire and failsafe run them from a manifest-only jar). */
    public static String testClasspath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    private void launch() throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xms" + Math.min(heapMb, 128) + "m");
        command.add("-Xmx" + heapMb + "m");
        command.add("-XX:+ExitOnOutOfMemoryError");
        if (Boolean.getBoolean("pgmesh.worker.heapDump")) {
            // -Dpgmesh.worker.heapDump=true: a heap dump (as large as the heap) in the worker's
            // folder when it runs out of memory, to find what filled it
            command.add("-XX:+HeapDumpOnOutOfMemoryError");
            command.add("-XX:HeapDumpPath=" + dir.resolve("worker.hprof"));
        }
        if (Boolean.getBoolean("pgmesh.worker.profile")) {
            // -Dpgmesh.worker.profile=true: a Java Flight Recording of the worker in its folder
            // (worker.jfr, written when it stops), to see where its CPU goes
            command.add("-XX:StartFlightRecording=filename=" + dir.resolve("worker.jfr") + ",settings=profile");
        }
        command.add("-Xlog:gc:file=" + dir.resolve("gc.log") + "::filecount=0");
        // the worker logs at INFO, as a production worker does: tests read its log (for secrets, say)
        command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
        command.add("-cp");
        command.add(classpath);
        command.add("org.apache.kafka.connect.cli.ConnectDistributed");
        command.add(propertiesFile.toString());
        process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile())).start();
        awaitRest();
    }

    private void awaitRest() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the Connect worker exited with code " + process.exitValue()
                        + " while starting; see " + logFile());
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(restUrl() + "connectors"))
                        .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the Connect worker started", e);
            }
            sleep(500);
        }
        throw new IllegalStateException("the Connect worker did not answer on " + restUrl() + " within "
                + START_TIMEOUT + "; see " + logFile());
    }

    /** The REST base URL, ending in '/'. */
    public String restUrl() {
        return "http://127.0.0.1:" + restPort + "/";
    }

    public Path logFile() {
        return dir.resolve("worker.log");
    }

    public int heapMb() {
        return heapMb;
    }

    /** The process id, while it runs or after it ended. */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** The worker's exit code, if it exited (an {@code OutOfMemoryError} makes it exit with 3). */
    public OptionalLong exitCode() {
        return process == null || process.isAlive() ? OptionalLong.empty() : OptionalLong.of(process.exitValue());
    }

    /**
     * The most heap the worker held, as its garbage collector logged it: the largest heap in use
     * before a collection, in MB (empty before the first collection).
     */
    public OptionalLong peakHeapMb() {
        Path gc = dir.resolve("gc.log");
        if (!Files.exists(gc)) {
            return OptionalLong.empty();
        }
        try {
            long peak = -1;
            for (String line : Files.readAllLines(gc, StandardCharsets.UTF_8)) {
                Matcher m = GC_LINE.matcher(line);
                if (m.find()) {
                    peak = Math.max(peak, Long.parseLong(m.group(1)));
                }
            }
            return peak < 0 ? OptionalLong.empty() : OptionalLong.of(peak);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Kills the worker with SIGKILL, as a crash or the kernel's OOM killer would. */
    public void kill() {
        process.destroyForcibly();
        waitForExit();
    }

    /** Starts the worker again with the same settings, after {@link #kill} or a crash. */
    public void restart() {
        if (isAlive()) {
            throw new IllegalStateException("the Connect worker is still running");
        }
        try {
            launch();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the worker as {@code kill -TERM} does (Connect stops its tasks), killing it if it takes too long. */
    @Override
    public void close() {
        ChildProcesses.stop(process, Duration.ofSeconds(30));
    }

    private void waitForExit() {
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
}
