package io.pgmesh.testkit.connect;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.apache.kafka.connect.util.clusters.EmbeddedKafkaCluster;
import org.awaitility.Awaitility;

/**
 * A real single-broker KRaft Kafka and a real distributed Connect worker, in this JVM (Kafka's own
 * {@code EmbeddedConnectCluster}) or in a process of its own ({@link WorkerProcess}), driven
 * through the Connect REST API as users drive it. Workers run exactly-once source support and
 * JSON converters with schemas. One per test class: it takes about 15 s to start on two cores.
 */
public final class ConnectCluster implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The worker in this JVM, or null when the worker runs in a process of its own. */
    private final EmbeddedConnectCluster connect;
    /** The broker in this JVM, or null when it runs in a process of its own ({@link #broker}). */
    private final EmbeddedKafkaCluster kafka;
    /** Brokers in processes of their own (one, or a replicated cluster), or empty when the broker is in this JVM. */
    private final List<BrokerProcess> brokers;
    /** Workers in processes of their own (one group), or empty when the worker is in this JVM. */
    private final List<WorkerProcess> workers;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private ConnectCluster(EmbeddedConnectCluster connect, EmbeddedKafkaCluster kafka, WorkerProcess worker) {
        this(connect, kafka, List.of(), worker == null ? List.of() : List.of(worker));
    }

    private ConnectCluster(EmbeddedConnectCluster connect, EmbeddedKafkaCluster kafka, List<BrokerProcess> brokers,
                           List<WorkerProcess> workers) {
        this.connect = connect;
        this.kafka = kafka;
        this.brokers = List.copyOf(brokers);
        this.workers = List.copyOf(workers);
    }

    public static ConnectCluster start(String name) {
        return start(name, Map.of());
    }

    /** Starts a broker and one worker; {@code workerProps} add to or override the defaults. */
    public static ConnectCluster start(String name, Map<String, String> workerProps) {
        Map<String, String> worker = new HashMap<>();
        worker.put("exactly.once.source.support", "enabled");
        worker.put("offset.flush.interval.ms", "1000");
        worker.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
        worker.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        worker.put("connector.client.config.override.policy", "All");
        // the name docs/operations.md gives, where the sources look for hanging transactions
        worker.put("offset.storage.topic", "connect-offsets");
        worker.putAll(workerProps);
        EmbeddedConnectCluster connect = (EmbeddedConnectCluster) new EmbeddedConnectCluster.Builder()
                .name(name).numWorkers(1).numBrokers(1).workerProps(worker).brokerProps(brokerProps()).build();
        connect.start();
        return new ConnectCluster(connect, connect.kafka(), null);
    }

    /**
     * Starts a broker in this JVM and one worker in a JVM of its own with at most {@code heapMb}
     * MB of heap (see {@link WorkerProcess}): for tests of the worker's memory, or that kill it.
     */
    public static ConnectCluster startWithWorkerProcess(String name, Path dir, int heapMb,
                                                        Map<String, String> workerProps) {
        EmbeddedKafkaCluster kafka = new EmbeddedKafkaCluster(1, brokerProps());
        kafka.start();
        try {
            WorkerProcess worker = WorkerProcess.start(dir, "connect-" + name, kafka.bootstrapServers(), heapMb,
                    workerProps);
            return new ConnectCluster(null, kafka, worker);
        } catch (RuntimeException e) {
            kafka.stop();
            throw e;
        }
    }

    /**
     * Starts a broker and one worker each in a JVM of its own (the broker as {@code
     * kafka-server-start.sh} runs it, see {@link BrokerProcess}; the worker with at most {@code
     * heapMb} MB of heap): for tests that stop and start the broker as an operator would.
     */
    public static ConnectCluster startWithProcesses(String name, Path dir, int heapMb,
                                                    Map<String, String> workerProps) {
        BrokerProcess broker = BrokerProcess.start(dir.resolve("kafka"), System.getProperty("java.class.path"), 512);
        try {
            WorkerProcess worker = WorkerProcess.start(dir.resolve("worker"), "connect-" + name,
                    broker.bootstrapServers(), heapMb, workerProps);
            return new ConnectCluster(null, null, List.of(broker), List.of(worker));
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    /**
     * Starts a cluster as production runs one: {@code brokers} KRaft brokers (three or more:
     * replication factor 3, min.insync.replicas 2) and {@code workers} Connect workers in one group,
     * each a process of its own, the workers configured as docs/operations.md says.
     */
    public static ConnectCluster startReplicated(String name, Path dir, int brokers, int workers, int heapMb,
                                                 Map<String, String> workerProps) {
        List<BrokerProcess> kafka = BrokerProcess.startCluster(dir.resolve("kafka"), System.getProperty("java.class.path"),
                512, brokers);
        List<WorkerProcess> started = new java.util.ArrayList<>();
        try {
            String bootstrap = String.join(",", kafka.stream().map(BrokerProcess::bootstrapServers).toList());
            for (int i = 1; i <= workers; i++) {
                started.add(WorkerProcess.start(dir.resolve("worker-" + i), "connect-" + name, bootstrap, heapMb,
                        workerProps));
            }
            return new ConnectCluster(null, null, kafka, started);
        } catch (RuntimeException e) {
            started.forEach(WorkerProcess::close);
            kafka.forEach(BrokerProcess::close);
            throw e;
        }
    }

    private org.apache.kafka.clients.admin.Admin admin() {
        return kafka != null ? kafka.createAdminClient()
                : org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", bootstrapServers()));
    }

    private static Properties brokerProps() {
        Properties broker = new Properties();
        broker.put("transaction.state.log.replication.factor", "1");
        broker.put("transaction.state.log.min.isr", "1");
        broker.put("log.cleaner.backoff.ms", "1000");
        return broker;
    }

    /**
     * A transaction a partition keeps open (holding back what read_committed readers see) that its
     * coordinator does not have ongoing on that partition, with the coordinator's state for the
     * producer (null when it has none).
     */
    public record HangingTransaction(String description,
                                     org.apache.kafka.clients.admin.TransactionState coordinatorState,
                                     org.apache.kafka.clients.admin.AbortTransactionSpec spec) {
        /**
         * Whether the coordinator had the commit under way or done: the producer was told it
         * committed, so its records must not be aborted (only the markers are missing).
         */
        public boolean committing() {
            return coordinatorState == org.apache.kafka.clients.admin.TransactionState.PREPARE_COMMIT
                    || coordinatorState == org.apache.kafka.clients.admin.TransactionState.COMPLETE_COMMIT;
        }

        @Override
        public String toString() {
            return description;
        }
    }

    /**
     * What {@code kafka-transactions.sh find-hanging} finds, made safe for a live cluster: a live
     * transaction can look hanging for a moment (its coordinator between states, a partition just
     * added), so only one seen open and unchanged (same producer, epoch and start offset) both now
     * and {@code stableFor} later, longer than the producers' transaction timeout, is returned.
     */
    public java.util.List<HangingTransaction> hangingTransactions(Duration stableFor) {
        try (org.apache.kafka.clients.admin.Admin admin = admin()) {
            Map<String, HangingTransaction> first = hanging(admin);
            if (first.isEmpty()) {
                return java.util.List.of();
            }
            Thread.sleep(stableFor.toMillis());
            return hanging(admin).entrySet().stream().filter(e -> first.containsKey(e.getKey()))
                    .map(Map.Entry::getValue).toList();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("finding hanging transactions failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** What {@code kafka-transactions.sh abort} does: writes an abort marker for the transaction. */
    public void abort(HangingTransaction transaction) {
        try (org.apache.kafka.clients.admin.Admin admin = admin()) {
            admin.abortTransaction(transaction.spec()).all().get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("aborting " + transaction + " failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, HangingTransaction> hanging(org.apache.kafka.clients.admin.Admin admin)
            throws java.util.concurrent.ExecutionException, InterruptedException {
        Map<Long, org.apache.kafka.clients.admin.TransactionDescription> byProducer = new HashMap<>();
        java.util.List<String> ids = admin.listTransactions().all().get().stream()
                .map(org.apache.kafka.clients.admin.TransactionListing::transactionalId).toList();
        if (!ids.isEmpty()) {
            admin.describeTransactions(ids).all().get().values().forEach(d -> byProducer.put(d.producerId(), d));
        }
        java.util.List<org.apache.kafka.common.TopicPartition> partitions = new java.util.ArrayList<>();
        admin.describeTopics(admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(false))
                .names().get()).allTopicNames().get().values().forEach(t -> t.partitions().forEach(p ->
                partitions.add(new org.apache.kafka.common.TopicPartition(t.name(), p.partition()))));
        var producers = admin.describeProducers(partitions);
        Map<String, HangingTransaction> found = new java.util.TreeMap<>();
        for (var tp : partitions) {
            for (var p : producers.partitionResult(tp).get().activeProducers()) {
                if (p.currentTransactionStartOffset().isEmpty()) {
                    continue;
                }
                var coordinator = byProducer.get(p.producerId());
                boolean ongoingThere = coordinator != null
                        && coordinator.state() == org.apache.kafka.clients.admin.TransactionState.ONGOING
                        && coordinator.topicPartitions().contains(tp);
                if (!ongoingThere) {
                    String key = tp + " producer " + p.producerId() + " epoch " + p.producerEpoch() + " from offset "
                            + p.currentTransactionStartOffset().getAsLong();
                    String state = coordinator == null ? "unknown"
                            : coordinator.state() + " at epoch " + coordinator.producerEpoch();
                    found.put(key, new HangingTransaction(key + " [coordinator " + state + "]",
                            coordinator == null ? null : coordinator.state(),
                            new org.apache.kafka.clients.admin.AbortTransactionSpec(tp, p.producerId(),
                                    (short) p.producerEpoch(), p.coordinatorEpoch().orElse(0))));
                }
            }
        }
        return found;
    }

    /** The REST base URL, ending in '/'. */
    public String restUrl() {
        if (!workers.isEmpty()) {
            return workers.stream().filter(WorkerProcess::isAlive).findFirst().orElse(workers.get(0)).restUrl();
        }
        String connectors = connect.endpointForResource("connectors");
        return connectors.substring(0, connectors.length() - "connectors".length());
    }

    public String bootstrapServers() {
        return kafka != null ? kafka.bootstrapServers()
                : String.join(",", brokers.stream().map(BrokerProcess::bootstrapServers).toList());
    }

    public EmbeddedKafkaCluster kafka() {
        if (kafka == null) {
            throw new IllegalStateException("this cluster's broker runs in a process of its own: use broker()");
        }
        return kafka;
    }

    /** The broker in a process of its own, of a cluster started by {@link #startWithProcesses}. */
    public BrokerProcess broker() {
        if (brokers.isEmpty()) {
            throw new IllegalStateException("this cluster's broker runs in the test JVM: use kafka()");
        }
        return brokers.get(0);
    }

    /** The brokers in processes of their own. */
    public List<BrokerProcess> brokers() {
        return brokers;
    }

    /** The workers in processes of their own. */
    public List<WorkerProcess> workers() {
        return workers;
    }

    /** The worker in this JVM (for what REST cannot do: removing and adding workers). */
    public EmbeddedConnectCluster embedded() {
        if (connect == null) {
            throw new IllegalStateException("this cluster's worker runs in a process of its own: use worker()");
        }
        return connect;
    }

    /** The worker in a process of its own, of a cluster started by {@link #startWithWorkerProcess}. */
    public WorkerProcess worker() {
        if (workers.isEmpty()) {
            throw new IllegalStateException("this cluster's worker runs in the test JVM: use embedded()");
        }
        return workers.get(0);
    }

    /** A REST call's outcome. */
    public record Response(int status, JsonNode body, String text) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    public Response get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    public Response put(String path, Object body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .PUT(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(toJson(body))));
    }

    public Response post(String path, Object body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(toJson(body))));
    }

    public Response delete(String path) {
        return send(HttpRequest.newBuilder(uri(path)).DELETE());
    }

    /** PUT /connectors/{name}/config; the response says whether Connect accepted it. */
    public Response putConnector(String name, Map<String, String> config) {
        return put("connectors/" + encode(name) + "/config", config);
    }

    /** Creates or updates a connector and fails the test if Connect refuses. */
    public void createConnector(String name, Map<String, String> config) {
        Response r = putConnector(name, config);
        if (!r.ok()) {
            throw new AssertionError("Connect refused connector " + name + ": HTTP " + r.status() + " " + r.text());
        }
    }

    /** PUT /connector-plugins/{class}/config/validate. */
    public Response validate(String connectorClass, Map<String, String> config) {
        String simpleName = connectorClass.substring(connectorClass.lastIndexOf('.') + 1);
        return put("connector-plugins/" + encode(simpleName) + "/config/validate", config);
    }

    public JsonNode status(String name) {
        Response r = get("connectors/" + encode(name) + "/status");
        return r.ok() ? r.body() : null;
    }

    /** Waits until the connector and all its tasks (at least {@code tasks}) are RUNNING. */
    public void awaitRunning(String name, int tasks, Duration timeout) {
        Awaitility.await("connector " + name + " running").atMost(timeout).pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    JsonNode s = status(name);
                    if (s == null || !"RUNNING".equals(s.path("connector").path("state").asText())) {
                        return false;
                    }
                    int running = 0;
                    for (JsonNode task : s.path("tasks")) {
                        if ("FAILED".equals(task.path("state").asText())) {
                            throw new AssertionError("task of " + name + " FAILED: " + task.path("trace").asText());
                        }
                        running += "RUNNING".equals(task.path("state").asText()) ? 1 : 0;
                    }
                    return running >= tasks;
                });
    }

    /** Fails the test at once when the connector or one of its tasks has FAILED, showing why. */
    public void assertNotFailed(String name) {
        JsonNode s = status(name);
        if (s == null) {
            return;
        }
        if ("FAILED".equals(s.path("connector").path("state").asText())) {
            throw new AssertionError("connector " + name + " FAILED: " + s.path("connector").path("trace").asText());
        }
        for (JsonNode task : s.path("tasks")) {
            if ("FAILED".equals(task.path("state").asText())) {
                throw new AssertionError("task of " + name + " FAILED: " + task.path("trace").asText());
            }
        }
    }

    /** Waits until a task of the connector is FAILED and returns its trace. */
    public String awaitTaskFailed(String name, Duration timeout) {
        String[] trace = new String[1];
        Awaitility.await("a task of " + name + " failed").atMost(timeout).pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    JsonNode s = status(name);
                    if (s == null) {
                        return false;
                    }
                    for (JsonNode task : s.path("tasks")) {
                        if ("FAILED".equals(task.path("state").asText())) {
                            trace[0] = task.path("trace").asText();
                            return true;
                        }
                    }
                    return false;
                });
        return trace[0];
    }

    /** POST /connectors/{name}/restart?includeTasks=true: stops and starts the connector and its tasks. */
    public void restartConnectorAndTasks(String name) {
        restart(name, false);
    }

    /** POST /connectors/{name}/restart?includeTasks=true&onlyFailed=true: restarts what FAILED. */
    public void restartFailed(String name) {
        restart(name, true);
    }

    /** A restart; {@link #send} asks again while Connect rebalances, as right after a configuration change. */
    private void restart(String name, boolean onlyFailed) {
        expectOk(post("connectors/" + encode(name) + "/restart?includeTasks=true&onlyFailed=" + onlyFailed, null));
    }

    public void restartTask(String name, int task) {
        expectOk(post("connectors/" + encode(name) + "/tasks/" + task + "/restart", null));
    }

    /** PUT /connectors/{name}/pause, then waits until the connector and its tasks are PAUSED. */
    public void pauseConnector(String name, Duration timeout) {
        expectOk(put("connectors/" + encode(name) + "/pause", null));
        awaitState(name, "PAUSED", timeout);
    }

    /** PUT /connectors/{name}/resume, then waits until it runs again. */
    public void resumeConnector(String name, Duration timeout) {
        expectOk(put("connectors/" + encode(name) + "/resume", null));
        awaitState(name, "RUNNING", timeout);
    }

    private void awaitState(String name, String state, Duration timeout) {
        Awaitility.await("connector " + name + " " + state).atMost(timeout).pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    JsonNode s = status(name);
                    if (s == null || !state.equals(s.path("connector").path("state").asText())) {
                        return false;
                    }
                    for (JsonNode task : s.path("tasks")) {
                        if (!state.equals(task.path("state").asText())) {
                            return false;
                        }
                    }
                    return true;
                });
    }

    public void deleteConnector(String name) {
        expectOk(delete("connectors/" + encode(name)));
    }

    /** PUT /connectors/{name}/stop, then waits until the connector is STOPPED and has no tasks. */
    public void stopConnector(String name, Duration timeout) {
        expectOk(put("connectors/" + encode(name) + "/stop", null));
        Awaitility.await("connector " + name + " stopped").atMost(timeout).pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    JsonNode s = status(name);
                    return s != null && "STOPPED".equals(s.path("connector").path("state").asText())
                            && s.path("tasks").isEmpty();
                });
    }

    /** DELETE /connectors/{name}/offsets (the connector must be stopped). */
    public void resetOffsets(String name) {
        expectOk(delete("connectors/" + encode(name) + "/offsets"));
    }

    /** GET /connectors/{name}/offsets: the "offsets" array. */
    public JsonNode offsets(String name) {
        Response r = get("connectors/" + encode(name) + "/offsets");
        expectOk(r);
        return r.body().path("offsets");
    }

    @Override
    public void close() {
        if (connect != null) {
            connect.stop();
            return;
        }
        try {
            workers.forEach(WorkerProcess::close);
        } finally {
            if (kafka != null) {
                kafka.stop();
            } else {
                brokers.forEach(BrokerProcess::close);
            }
        }
    }

    private static void expectOk(Response r) {
        if (!r.ok()) {
            throw new AssertionError("HTTP " + r.status() + ": " + r.text());
        }
    }

    private URI uri(String path) {
        return URI.create(restUrl() + path);
    }

    /**
     * Sends the request, again while Connect refuses it because its workers rebalance (409, or 500
     * "a rebalance is expected": nothing was done), for up to a minute; then returns the answer.
     */
    private Response send(HttpRequest.Builder request) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            Response r = sendOnce(request);
            boolean rebalancing = r.status() == 409
                    || (r.status() == 500 && r.text() != null && r.text().toLowerCase(Locale.ROOT).contains("rebalance"));
            if (!rebalancing || System.nanoTime() - deadline >= 0) {
                return r;
            }
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private Response sendOnce(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(120)).build(),
                    HttpResponse.BodyHandlers.ofString());
            String text = response.body();
            JsonNode body = text == null || text.isBlank() ? null : parse(text);
            return new Response(response.statusCode(), body, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private static String toJson(Object body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
