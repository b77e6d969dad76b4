package io.pgmesh.source.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.PgmeshConfigs;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.connect.NodeTopic;
import io.pgmesh.testkit.postgres.PostgresNode;
import io.pgmesh.testkit.workload.InsertWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Nothing committed on the node goes missing from its topic when the connector restarts, its
 * task restarts or its stream is killed mid-flight. (That the slot never passes what Kafka holds
 * is {@link SourceSlotSafetyIT}.)
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
        Closeables.closeAll(connect, server);
    }

    @ParameterizedTest(name = "exactly-once: {0}")
    @ValueSource(booleans = {false, true})
    void nothingCommittedGoesMissingAcrossRestartsAndKilledStreams(boolean exactlyOnce) {
        String node = exactlyOnce ? "eos" : "alo";
        String db = "resume_" + node;
        server.createDatabase(db);
        server.execute(db, "CREATE TABLE w (id bigint PRIMARY KEY, payload text)");
        Map<String, String> config = PgmeshConfigs.source(server, db, node, connect.bootstrapServers());
        String connector = "src-" + node;
        connect.createConnector(connector, exactlyOnce ? PgmeshConfigs.exactlyOnce(config) : config);
        connect.awaitRunning(connector, 1, WAIT);
        Topics.awaitSlot(server, "pgmesh_" + node, WAIT);

        InsertWriter writer = InsertWriter.start(server, db, "w", 1);
        awaitMoreRows(writer, connector, "pgmesh." + node);
        awaitStoredOffset(connector, node);
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

        Map<Long, Integer> inTopic = Topics.awaitAllInserted(connect, committed, connector, "pgmesh." + node, WAIT);
        if (exactlyOnce) {
            assertEquals(Map.of(), inTopic.entrySet().stream().filter(e -> e.getValue() > 1)
                    .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)), "rows written twice");
        }
        connect.deleteConnector(connector);
    }

    /**
     * Under exactly-once, a PostgreSQL transaction of more records than kafka.transaction.max.records
     * is written in several Kafka transactions (commit markers inside it), and a task restarted
     * while writing it resumes inside it: every row in the topic exactly once.
     */
    @Test
    void aTransactionLargerThanAKafkaTransactionIsSplitAndResumedInsideAfterARestart() {
        String node = "split";
        String db = "resume_split";
        int rows = 100_000;
        server.createDatabase(db);
        server.execute(db, "CREATE TABLE w (id bigint PRIMARY KEY, payload text)");
        Map<String, String> config = new HashMap<>(PgmeshConfigs.exactlyOnce(
                PgmeshConfigs.source(server, db, node, connect.bootstrapServers())));
        // a Kafka transaction ends at the end of the poll batch that brings it to 1,000 records:
        // with batches of 500, after every 1,000
        config.put("kafka.transaction.max.records", "1000");
        config.put("max.batch.size", "500");
        String connector = "src-" + node;
        String topic = "pgmesh." + node;
        connect.createConnector(connector, config);
        connect.awaitRunning(connector, 1, WAIT);
        Topics.awaitSlot(server, "pgmesh_" + node, WAIT);

        server.execute(db, "INSERT INTO w SELECT g, 'row ' || g FROM generate_series(1, " + rows + ") AS g");
        // part of the transaction is committed in Kafka long before its end: restart inside it
        Topics.awaitInserted(connect, connector, topic, 2_000, WAIT);
        connect.restartTask(connector, 0);
        connect.awaitRunning(connector, 1, WAIT);

        Set<Long> all = LongStream.rangeClosed(1, rows).boxed().collect(Collectors.toSet());
        Map<Long, Integer> inTopic = Topics.awaitAllInserted(connect, all, connector, topic, WAIT);
        assertEquals(Map.of(), inTopic.entrySet().stream().filter(e -> e.getValue() > 1)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)), "rows written twice");
        List<NodeTopic.Decoded> records = NodeTopic.readAll(connect.bootstrapServers(), topic).stream()
                .filter(r -> r.headers().op() == Operation.INSERT).toList();
        int splits = 0;
        for (int i = 1; i < records.size(); i++) {
            if (records.get(i).offset() - records.get(i - 1).offset() > 1) {
                splits++;
            }
        }
        assertTrue(splits >= rows / 1000 - 10, "Kafka transactions inside the PostgreSQL one: " + splits);
        connect.deleteConnector(connector);
    }

    /**
     * Waits until Connect's offsets API shows an offset for the node's partition. Connect looks an
     * offset up by the partition's JSON bytes; records carrying their keys in another order than
     * the task reads them with stored offsets no task ever found again.
     */
    private static void awaitStoredOffset(String connector, String node) {
        Awaitility.await("stored offset of " + connector).atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> {
            JsonNode offsets = connect.get("connectors/" + connector + "/offsets").body().path("offsets");
            for (JsonNode entry : offsets) {
                if (entry.path("partition").path("node").asText().equals(node)
                        && entry.path("offset").path("commit_lsn").isNumber()) {
                    return true;
                }
            }
            return false;
        });
    }

    private static void awaitMoreRows(InsertWriter writer, String connector, String topic) {
        int target = writer.committedCount() + 50;
        Awaitility.await("writer progress").atMost(WAIT).until(() -> writer.committedCount() >= target);
        Topics.awaitInserted(connect, connector, topic, target - 60, WAIT);
    }
}
