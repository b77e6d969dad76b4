package io.pgmesh.sink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.envelope.Operation;
import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.Mesh;
import io.pgmesh.testkit.PgmeshConfigs;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.connect.NodeTopic;
import io.pgmesh.testkit.postgres.PostgresNode;
import io.pgmesh.testkit.workload.InsertWriter;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.apache.kafka.connect.util.clusters.WorkerHandle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Apply is exactly-once through task kills, killed database sessions and a worker restart, and
 * records that are not pgmesh changes go to the dead-letter queue or fail the task, never applied.
 */
@Timeout(400)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SinkRecoveryIT {

    private static final Duration WAIT = Duration.ofSeconds(180);
    private static ConnectCluster connect;
    private static Mesh mesh;

    @BeforeAll
    static void startMesh() {
        connect = ConnectCluster.start("recovery");
        mesh = Mesh.start(connect, List.of("n1", "n2"), List.of(
                "CREATE TABLE log (id bigint, payload text)",
                "CREATE TABLE w (id bigint PRIMARY KEY, payload text)"), c -> c, c -> c);
    }

    @AfterAll
    static void stopMesh() {
        Closeables.closeAll(mesh, connect);
    }

    private static PostgresNode n1() {
        return mesh.server("n1");
    }

    private static PostgresNode n2() {
        return mesh.server("n2");
    }

    @Test
    @Order(1)
    void killedTasksSessionsAndARestartedWorkerStillApplyEveryRowExactlyOnce() throws Exception {
        InsertWriter writer = InsertWriter.start(n1(), Mesh.DATABASE, "log", 1);
        awaitRowsOnN2(writer, 200);
        connect.restartTask("sink-n2", 0);
        awaitRowsOnN2(writer, 200);
        n2().query("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                + " WHERE application_name = 'pgmesh-sink-n2'");
        awaitRowsOnN2(writer, 200);
        WorkerHandle worker = connect.embedded().workers().iterator().next();
        connect.embedded().removeWorker(worker);
        connect.embedded().addWorker();
        connect.awaitRunning("sink-n2", 1, WAIT);
        awaitRowsOnN2(writer, 200);
        Set<Long> committed = writer.stop();
        mesh.awaitSynced(WAIT);

        Set<Long> missing = new TreeSet<>(committed);
        n2().query(Mesh.DATABASE, "SELECT id FROM log").forEach(r -> missing.remove(Long.parseLong(r.get(0))));
        assertEquals(Set.of(), missing, "committed on n1 but missing on n2");
        assertEquals(List.of(List.of(Integer.toString(committed.size()), Integer.toString(committed.size()))),
                n2().query(Mesh.DATABASE, "SELECT count(*), count(DISTINCT id) FROM log"),
                "every row exactly once (log has no key: a second apply would show as a duplicate)");
        assertEquals(mesh.digest("n1", "log"), mesh.digest("n2", "log"));
    }

    /**
     * The sink commits with synchronous_commit off (the default): a crash of its node forgets the
     * last transactions it committed, and their recorded position with them. Reconnected, the sink
     * must resume where the database stands, not where it had got to in memory.
     */
    @Test
    @Order(2)
    void aCrashThatForgetsTheSinksLastCommitsHasThemAppliedAgain() throws Exception {
        // WAL of asynchronous commits reaches the operating system only every 10 s (or page by page)
        n2().execute("postgres", "ALTER SYSTEM SET wal_writer_delay = '10s'",
                "ALTER SYSTEM SET wal_writer_flush_after = '1GB'", "SELECT pg_reload_conf()");
        long before = Long.parseLong(n2().queryValue(Mesh.DATABASE, "SELECT count(*) FROM log"));
        InsertWriter writer = InsertWriter.start(n1(), Mesh.DATABASE, "log", 1_000_000);
        int lost = 0;
        Set<Long> committed;
        try {
            // once with the same task resumed (it finds its connection gone), once with the task
            // restarted (it starts at the position stored in n2, or at Kafka's offset where n2 has none)
            for (boolean restartTask : new boolean[] {false, true}) {
                int lostNow = 0;
                for (int attempt = 1; attempt <= 3 && lostNow == 0; attempt++) {
                    awaitRowsOnN2(writer, 200);
                    lostNow = crashN2(restartTask);
                }
                assertTrue(lostNow > 0, "3 crashes of n2 lost none of the sink's commits: this test shows nothing");
                lost += lostNow;
            }
            awaitRowsOnN2(writer, 200);
        } finally {
            committed = writer.stop();
            n2().execute("postgres", "ALTER SYSTEM RESET wal_writer_delay", "ALTER SYSTEM RESET wal_writer_flush_after",
                    "SELECT pg_reload_conf()");
        }
        mesh.awaitSynced(WAIT);

        Set<Long> missing = new TreeSet<>(committed);
        n2().query(Mesh.DATABASE, "SELECT id FROM log WHERE id >= 1000000")
                .forEach(r -> missing.remove(Long.parseLong(r.get(0))));
        assertTrue(missing.isEmpty(), missing.size() + " rows committed on n1 are missing on n2 after n2 lost " + lost
                + " applied rows, from " + (missing.isEmpty() ? "" : missing.iterator().next()));
        long expected = before + committed.size();
        assertEquals(List.of(List.of(Long.toString(expected), Long.toString(expected))),
                n2().query(Mesh.DATABASE, "SELECT count(*), count(DISTINCT id) FROM log"), "every row exactly once");
        assertEquals(mesh.digest("n1", "log"), mesh.digest("n2", "log"));
    }

    /**
     * A backlog of single-row transactions is applied many to an exchange; n2 is killed while its
     * sink's session runs one (seen active just before the kill), kept down a few seconds, and
     * started again. The transactions of that exchange that committed stay, the rest (and any that
     * the crash forgot) are applied again: every row once.
     */
    @Test
    @Order(3)
    void aNodeKilledInTheMiddleOfAnExchangeOfManyTransactionsEndsWithEveryRowOnce() throws Exception {
        int backlog = 4_000;
        long first = 5_000_000;
        long before = Long.parseLong(n2().queryValue(Mesh.DATABASE, "SELECT count(*) FROM log"));
        connect.pauseConnector("sink-n2", WAIT);
        n1().execute(Mesh.DATABASE, "CREATE PROCEDURE pg_temp.backlog() LANGUAGE plpgsql AS $$ BEGIN"
                + " FOR i IN 0.." + (backlog - 1) + " LOOP INSERT INTO log VALUES (" + first + " + i, 'backlog');"
                + " COMMIT; END LOOP; END $$", "CALL pg_temp.backlog()");
        connect.resumeConnector("sink-n2", WAIT);

        String countSql = "SELECT count(*) FROM log WHERE id >= " + first;
        String activeSql = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgmesh-sink-n2'"
                + " AND state = 'active' AND query NOT LIKE '%pg_stat_activity%'";
        long appliedAtKill = -1;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (appliedAtKill < 0 && System.nanoTime() < deadline) {
            long applied = Long.parseLong(n2().queryValue(Mesh.DATABASE, countSql));
            assertTrue(applied < backlog * 9L / 10, "n2 applied " + applied + " of " + backlog + " before this test"
                    + " saw its sink's session running an exchange: nothing was killed in the middle of one");
            if (applied > backlog / 10 && !"0".equals(n2().queryValue("postgres", activeSql))) {
                n2().stop(PostgresNode.StopMode.IMMEDIATE);
                appliedAtKill = applied;
            }
        }
        assertTrue(appliedAtKill >= 0, "the backlog was never seen being applied");
        Thread.sleep(3_000);
        n2().start();
        mesh.awaitSynced(WAIT);

        List<List<String>> counts = n2().query(Mesh.DATABASE, "SELECT count(*), count(DISTINCT id) FROM log"
                + " WHERE id >= " + first);
        assertEquals(List.of(List.of(Integer.toString(backlog), Integer.toString(backlog))), counts,
                "every row of the backlog once, after a kill with " + appliedAtKill + " applied");
        assertEquals(Long.toString(before + backlog), n2().queryValue(Mesh.DATABASE, "SELECT count(*) FROM log"));
        assertEquals(mesh.digest("n1", "log"), mesh.digest("n2", "log"));
    }

    @Test
    @Order(4)
    void recordsThatAreNotPgmeshChangesGoToTheDeadLetterQueue() {
        Map<String, String> config = new HashMap<>(PgmeshConfigs.sink(n2(), Mesh.DATABASE, "n2", List.of("n1")));
        config.put("errors.tolerance", "all");
        config.put("errors.deadletterqueue.topic.name", "pgmesh.n2.dlq");
        config.put("errors.deadletterqueue.topic.replication.factor", "1");
        config.put("errors.deadletterqueue.context.headers.enable", "true");
        connect.createConnector("sink-n2", config);
        connect.awaitRunning("sink-n2", 1, WAIT);

        connect.kafka().produce("pgmesh.n1", "not json", "not json either");
        connect.kafka().produce("pgmesh.n1", "{\"schema\":null,\"payload\":\"k\"}", "{\"schema\":null,\"payload\":{\"op\":\"insert\"}}");
        n1().execute(Mesh.DATABASE, "INSERT INTO w VALUES (1, 'after the junk')");
        mesh.awaitSynced(WAIT);
        assertEquals("after the junk", n2().queryValue(Mesh.DATABASE, "SELECT payload FROM w WHERE id = 1"));
        Awaitility.await("both records in the dead-letter queue").atMost(WAIT)
                .until(() -> NodeTopic.readRaw(connect.bootstrapServers(), "pgmesh.n2.dlq").size() == 2);
    }

    @Test
    @Order(5)
    void withoutErrorToleranceARecordThatIsNotAPgmeshChangeFailsTheTaskSayingWhy() {
        connect.createConnector("sink-n2", PgmeshConfigs.sink(n2(), Mesh.DATABASE, "n2", List.of("n1")));
        connect.kafka().produce("pgmesh.n1", "{\"schema\":null,\"payload\":\"k\"}", "{\"schema\":null,\"payload\":{}}");
        String trace = connect.awaitTaskFailed("sink-n2", WAIT);
        assertTrue(trace.contains("is not a pgmesh change") && trace.contains("errors.tolerance=all"), trace);
    }

    /**
     * Pauses n2's sink, crashes n2 (its last commits not yet written out), checks that Kafka's
     * offset is not beyond what n2 kept, and resumes the sink; returns how many applied rows n2 lost.
     */
    private static int crashN2(boolean restartTask) throws Exception {
        connect.pauseConnector("sink-n2", WAIT);
        try {
            long applied = Long.parseLong(n2().queryValue(Mesh.DATABASE, "SELECT count(*) FROM log"));
            n2().restart(PostgresNode.StopMode.IMMEDIATE);
            int lost = (int) (applied - Long.parseLong(n2().queryValue(Mesh.DATABASE, "SELECT count(*) FROM log")));
            List<List<String>> stored = n2().query(Mesh.DATABASE, "SELECT next_offset FROM pgmesh.sink_progress"
                    + " WHERE connector = 'sink-n2' AND topic = 'pgmesh.n1' AND kafka_partition = 0");
            long kept = stored.isEmpty() ? 0 : Long.parseLong(stored.get(0).get(0));
            long consumed = consumerOffset("connect-sink-n2", new TopicPartition("pgmesh.n1", 0));
            // Kafka's offset may be past what n2 kept only over records the sink passes over
            // (heartbeats, n2's own changes): a task starting there skips nothing it must apply
            List<Long> skipped = NodeTopic.readAll(connect.bootstrapServers(), "pgmesh.n1").stream()
                    .filter(r -> r.offset() >= kept && r.offset() < consumed && r.headers().originNode().value()
                            .equals("n1") && EnumSet.of(Operation.INSERT, Operation.UPDATE, Operation.DELETE)
                            .contains(r.headers().op()))
                    .map(NodeTopic.Decoded::offset).toList();
            assertTrue(skipped.isEmpty(), "Kafka records offset " + consumed + " of pgmesh.n1-0 as consumed, but n2"
                    + " kept only what is before " + kept + " after losing " + lost + " rows: a task started now"
                    + " would skip the changes at " + skipped);
            if (restartTask) {
                connect.restartTask("sink-n2", 0);
            }
            return lost;
        } finally {
            connect.resumeConnector("sink-n2", WAIT);
        }
    }

    private static long consumerOffset(String group, TopicPartition tp) throws Exception {
        try (Admin admin = connect.kafka().createAdminClient()) {
            OffsetAndMetadata offset = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                    .get(tp);
            return offset == null ? -1 : offset.offset();
        }
    }

    private static void awaitRowsOnN2(InsertWriter writer, int more) {
        int target = writer.committedCount() + more;
        Awaitility.await("writer progress").atMost(WAIT).until(() -> writer.committedCount() >= target);
        Awaitility.await("n2 catches up").atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() ->
                Long.parseLong(n2().queryValue(Mesh.DATABASE, "SELECT count(*) FROM log")) >= target - 100);
    }
}
