package io.pgmesh.source.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.Lsn;
import io.pgmesh.testkit.Closeables;
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
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The slot's confirmed position never passes what Kafka holds. The broker is stopped for a few
 * seconds under a writer: the source keeps reading the node and its records wait in the producer,
 * so a source that confirmed on poll would move its slot past changes Kafka does not have (and
 * lose them if the worker died then). The topic's log-append times tell afterwards which changes
 * Kafka only received after the outage. Runs on a worker without exactly-once support (whose
 * producer just buffers) and with a long group session, so the outage does not cause a rebalance.
 */
@Timeout(300)
class SourceSlotSafetyIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static PostgresNode server;
    private static ConnectCluster connect;

    @BeforeAll
    static void startServers() {
        server = PostgresNode.start("slotsafety");
        connect = ConnectCluster.start("slotsafety", Map.of("exactly.once.source.support", "disabled",
                "session.timeout.ms", "60000", "heartbeat.interval.ms", "3000"));
    }

    @AfterAll
    static void stopServers() {
        Closeables.closeAll(connect, server);
    }

    @Test
    void theSlotIsNeverConfirmedPastWhatKafkaHolds() throws Exception {
        String db = "hold";
        server.createDatabase(db);
        server.execute(db, "CREATE TABLE w (id bigint PRIMARY KEY, payload text)");
        connect.kafka().createTopic("pgmesh.hold", 1, 1, Map.of("message.timestamp.type", "LogAppendTime",
                "cleanup.policy", "compact"));
        Map<String, String> config = new HashMap<>(PgmeshConfigs.source(server, db, "hold", connect.bootstrapServers()));
        config.put("heartbeat.interval.ms", "300");
        connect.createConnector("src-hold", config);
        connect.awaitRunning("src-hold", 1, WAIT);
        Topics.awaitSlot(server, "pgmesh_hold", WAIT);

        InsertWriter writer = InsertWriter.start(server, db, "w", 1);
        Topics.awaitInserted(connect, "src-hold", "pgmesh.hold", 200, WAIT);
        Lsn beforeOutage = Topics.confirmedFlush(server, "pgmesh_hold");
        Awaitility.await("slot advancing").atMost(WAIT)
                .until(() -> Topics.confirmedFlush(server, "pgmesh_hold").isAfter(beforeOutage));

        connect.kafka().stopOnlyBrokers();
        Lsn confirmedDuringOutage = Lsn.INVALID;
        long outageEnds = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < outageEnds) {
            confirmedDuringOutage = Lsn.max(confirmedDuringOutage, Topics.confirmedFlush(server, "pgmesh_hold"));
            Thread.sleep(200);
        }
        long restartedAtMillis = System.currentTimeMillis();
        connect.kafka().restartOnlyBrokers();
        Set<Long> committed = writer.stop();
        Topics.awaitAllInserted(connect, committed, "src-hold", "pgmesh.hold", WAIT);

        List<Decoded> records = NodeTopic.readAll(connect.bootstrapServers(), "pgmesh.hold");
        Decoded firstAfterOutage = records.stream().filter(r -> r.timestamp() >= restartedAtMillis).findFirst()
                .orElseThrow(() -> new AssertionError("nothing written during the outage reached Kafka after it"));
        assertTrue(confirmedDuringOutage.isBefore(firstAfterOutage.headers().commitLsn()),
                "while the broker was down the slot was confirmed to " + confirmedDuringOutage
                        + ", past the change at " + firstAfterOutage.headers().commitLsn() + " Kafka did not have yet");
        assertTrue(confirmedDuringOutage.isAfter(beforeOutage), "the slot advanced before the outage");
    }

    /**
     * Acknowledged is not enough: a transaction left open on the node topic (as Kafka leaves a
     * source's after some broker restarts, a "hanging" one, which only an abort ends) hides every
     * later record from read_committed readers, and an abort of it would remove what it holds. The
     * slot must not pass what the sinks cannot read yet. A foreign transactional producer keeps a
     * transaction open on the topic here while the node writes, then aborts it.
     */
    @Test
    void theSlotIsNotConfirmedPastAnOpenTransactionTheSinksCannotReadPast() throws Exception {
        String db = "opentx";
        server.createDatabase(db);
        server.execute(db, "CREATE TABLE w (id bigint PRIMARY KEY, payload text)");
        connect.createConnector("src-opentx", PgmeshConfigs.source(server, db, "opentx", connect.bootstrapServers()));
        connect.awaitRunning("src-opentx", 1, WAIT);
        Topics.awaitSlot(server, "pgmesh_opentx", WAIT);
        server.execute(db, "INSERT INTO w VALUES (1, 'before')");
        Lsn first = Lsn.parse(server.queryValue(db, "SELECT pg_current_wal_lsn()"));
        Awaitility.await("slot past the first insert").atMost(WAIT)
                .until(() -> !Topics.confirmedFlush(server, "pgmesh_opentx").isBefore(first));

        Lsn written;
        try (KafkaProducer<String, String> foreign = new KafkaProducer<>(Map.of(
                "bootstrap.servers", connect.bootstrapServers(), "transactional.id", "foreign-opentx",
                "transaction.timeout.ms", "600000", "key.serializer", StringSerializer.class.getName(),
                "value.serializer", StringSerializer.class.getName()))) {
            foreign.initTransactions();
            foreign.beginTransaction();
            long openAt = foreign.send(new ProducerRecord<>("pgmesh.opentx", "not", "committed")).get().offset();
            Lsn heldAt = Topics.confirmedFlush(server, "pgmesh_opentx");
            for (int i = 2; i <= 50; i++) {
                server.execute(db, "INSERT INTO w VALUES (" + i + ", 'while a transaction is open')");
            }
            written = Lsn.parse(server.queryValue(db, "SELECT pg_current_wal_lsn()"));
            Awaitility.await("the inserts acknowledged by Kafka, behind the open transaction").atMost(WAIT)
                    .until(() -> endOffset("pgmesh.opentx") > openAt + 49);
            long holdEnds = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < holdEnds) {
                Lsn confirmed = Topics.confirmedFlush(server, "pgmesh_opentx");
                assertTrue(confirmed.isBefore(written), "the slot was confirmed to " + confirmed + ", past changes"
                        + " no read_committed reader can see (the topic holds a transaction open; held at " + heldAt
                        + ")");
                Thread.sleep(200);
            }
            foreign.abortTransaction();
        }
        Lsn end = written;
        Awaitility.await("slot past the inserts once the transaction is aborted").atMost(WAIT)
                .until(() -> !Topics.confirmedFlush(server, "pgmesh_opentx").isBefore(end));
        assertTrue(Topics.insertedIds(connect, "pgmesh.opentx").size() >= 50, "the inserts readable");
    }

    /** The partition's log end offset, open transactions included. */
    private static long endOffset(String topic) throws Exception {
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = connect.kafka().createAdminClient()) {
            return admin.listOffsets(Map.of(tp, OffsetSpec.latest()),
                    new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).partitionResult(tp).get().offset();
        }
    }
}
