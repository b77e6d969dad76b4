package io.pgmesh.source.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.PgmeshConfigs;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.postgres.PostgresNode;
import io.pgmesh.testkit.workload.InsertWriter;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
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
