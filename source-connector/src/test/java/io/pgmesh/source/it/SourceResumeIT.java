package io.pgmesh.source.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.common.envelope.RowImage;
import io.pgmesh.testkit.PgmeshConfigs;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.connect.NodeTopic;
import io.pgmesh.testkit.connect.NodeTopic.Decoded;
import io.pgmesh.testkit.postgres.PostgresNode;
import io.pgmesh.testkit.workload.InsertWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Nothing committed on the node goes missing from its topic when the connector restarts, its
 * task restarts or its stream is killed mid-flight, and the slot is never confirmed past what
 * Kafka holds.
 */
@Timeout(400)
class SourceResumeIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static PostgresNode server;
    private static ConnectCluster connect;

    @BeforeAll
    static void startServers() {
        server = PostgresNode.start("resume");
        connect = ConnectCluster.start("resume");
    }

    @AfterAll
    static void stopServers() {
        if (connect != null) {
            connect.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @ParameterizedTest(name = "exactly-once: {0}")
    @ValueSource(booleans = {false, true})
    void nothingCommittedGoesMissingAcrossRestartsAndKilledStreams(boolean exactlyOnce) {
        String node = exactlyOnce ? "eos" : "alo";
        String db = "resume_" + node;
        server.createDatabase(db);
        server.execute(db, "CREATE TABLE w (id bigint PRIMARY KEY, payload text)");
        Map<String, String> config = PgmeshConfigs.source(server, db, node);
        String connector = "src-" + node;
        connect.createConnector(connector, exactlyOnce ? PgmeshConfigs.exactlyOnce(config) : config);
        connect.awaitRunning(connector, 1, WAIT);

        InsertWriter writer = InsertWriter.start(server, db, "w", 1);
        awaitMoreRows(writer, connector, "pgmesh." + node);
        connect.restartConnectorAndTasks(connector);
        connect.awaitRunning(connector, 1, WAIT);
        awaitMoreRows(writer, connector, "pgmesh." + node);
        connect.restartTask(connector, 0);
        connect.awaitRunning(connector, 1, WAIT);
        awaitMoreRows(writer, connector, "pgmesh." + node);
        server.query("postgres", "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
                + " WHERE slot_name = 'pgmesh_" + node + "' AND active_pid IS NOT NULL");
        awaitMoreRows(writer, connector, "pgmesh." + node);
        Set<Long> committed = writer.stop();

        Map<Long, Integer> inTopic = awaitAll(committed, connector, "pgmesh." + node);
        if (exactlyOnce) {
            assertEquals(Map.of(), inTopic.entrySet().stream().filter(e -> e.getValue() > 1)
                    .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)), "rows written twice");
        }
        connect.deleteConnector(connector);
    }

    @Test
    void theSlotIsNeverConfirmedPastWhatKafkaHolds() {
        String db = "hold";
        server.createDatabase(db);
        server.execute(db, "CREATE TABLE w (id bigint PRIMARY KEY, payload text)");
        connect.kafka().createTopic("pgmesh.hold", 1, 1, Map.of("message.timestamp.type", "LogAppendTime"));
        Map<String, String> config = new HashMap<>(PgmeshConfigs.source(server, db, "hold"));
        config.put("heartbeat.interval.ms", "500");
        connect.createConnector("src-hold", config);
        connect.awaitRunning("src-hold", 1, WAIT);

        InsertWriter writer = InsertWriter.start(server, db, "w", 1);
        awaitMoreRows(writer, "src-hold", "pgmesh.hold");
        Lsn beforeOutage = confirmedFlush("pgmesh_hold");
        Awaitility.await("slot advancing").atMost(WAIT).until(() -> confirmedFlush("pgmesh_hold").isAfter(beforeOutage));

        connect.kafka().stopOnlyBrokers();
        Lsn confirmedDuringOutage = Lsn.INVALID;
        long outageEnds = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < outageEnds) {
            confirmedDuringOutage = Lsn.max(confirmedDuringOutage, confirmedFlush("pgmesh_hold"));
            sleep(200);
        }
        long restartedAtMillis = System.currentTimeMillis();
        connect.kafka().restartOnlyBrokers();
        sleep(2000);
        Set<Long> committed = writer.stop();
        awaitAll(committed, "src-hold", "pgmesh.hold");

        List<Decoded> records = NodeTopic.readAll(connect.bootstrapServers(), "pgmesh.hold");
        Decoded firstAfterOutage = records.stream().filter(r -> r.timestamp() >= restartedAtMillis).findFirst()
                .orElseThrow(() -> new AssertionError("the writer wrote nothing that reached Kafka after the outage"));
        assertTrue(confirmedDuringOutage.isBefore(firstAfterOutage.headers().commitLsn()),
                "while Kafka was down the slot was confirmed to " + confirmedDuringOutage
                        + ", past the change at " + firstAfterOutage.headers().commitLsn() + " Kafka did not have yet");
        assertTrue(confirmedDuringOutage.isAfter(beforeOutage), "the slot advanced before the outage");
    }

    private static void awaitMoreRows(InsertWriter writer, String connector, String topic) {
        int target = writer.committedCount() + 50;
        Awaitility.await("writer progress").atMost(WAIT).until(() -> writer.committedCount() >= target);
        Awaitility.await("topic catches up").atMost(WAIT).pollInterval(Duration.ofMillis(500))
                .ignoreExceptionsMatching(e -> !(e instanceof AssertionError)).until(() -> {
                    connect.assertNotFailed(connector);
                    return insertedIds(topic).size() >= target - 60;
                });
    }

    /** Waits until every committed id is in the topic; returns how often each id appears. */
    private static Map<Long, Integer> awaitAll(Set<Long> committed, String connector, String topic) {
        Map<Long, Integer> counts = new HashMap<>();
        Awaitility.await("every committed row in " + topic).atMost(WAIT).pollInterval(Duration.ofSeconds(1))
                .ignoreExceptionsMatching(e -> !(e instanceof AssertionError)).until(() -> {
                    connect.assertNotFailed(connector);
                    counts.clear();
                    for (long id : insertedIds(topic)) {
                        counts.merge(id, 1, Integer::sum);
                    }
                    return counts.keySet().containsAll(committed);
                });
        Set<Long> missing = new TreeSet<>(committed);
        missing.removeAll(counts.keySet());
        assertEquals(Set.of(), missing, "committed rows missing from the topic");
        return counts;
    }

    private static List<Long> insertedIds(String topic) {
        return NodeTopic.readAll(connect.bootstrapServers(), topic).stream()
                .filter(r -> r.headers().op() == Operation.INSERT)
                .map(r -> Long.parseLong(((RowImage) r.value()).columns().get(0).value()))
                .toList();
    }

    private static Lsn confirmedFlush(String slot) {
        List<List<String>> rows = server.query("postgres",
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
        return rows.isEmpty() || rows.get(0).get(0) == null ? Lsn.INVALID : Lsn.parse(rows.get(0).get(0));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
