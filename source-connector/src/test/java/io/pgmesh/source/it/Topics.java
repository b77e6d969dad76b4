package io.pgmesh.source.it;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.common.envelope.RowImage;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.connect.NodeTopic;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/** What the source ITs check on topics and slots. */
final class Topics {

    private Topics() {
    }

    /** The first column of every insert in the topic, as a number (the writer's id). */
    static List<Long> insertedIds(ConnectCluster connect, String topic) {
        return NodeTopic.readAll(connect.bootstrapServers(), topic).stream()
                .filter(r -> r.headers().op() == Operation.INSERT)
                .map(r -> Long.parseLong(((RowImage) r.value()).columns().get(0).value()))
                .toList();
    }

    /** Waits until the topic holds at least {@code count} inserts, failing at once if the connector fails. */
    static void awaitInserted(ConnectCluster connect, String connector, String topic, int count, Duration wait) {
        Awaitility.await(count + " inserts in " + topic).atMost(wait).pollInterval(Duration.ofMillis(500))
                .ignoreExceptionsMatching(e -> !(e instanceof AssertionError)).until(() -> {
                    connect.assertNotFailed(connector);
                    return insertedIds(connect, topic).size() >= count;
                });
    }

    /** Waits until every committed id is in the topic; returns how often each id appears. */
    static Map<Long, Integer> awaitAllInserted(ConnectCluster connect, Set<Long> committed, String connector,
                                               String topic, Duration wait) {
        Map<Long, Integer> counts = new HashMap<>();
        try {
            Awaitility.await("every committed row in " + topic).atMost(wait).pollInterval(Duration.ofSeconds(1))
                    .ignoreExceptionsMatching(e -> !(e instanceof AssertionError)).until(() -> {
                        connect.assertNotFailed(connector);
                        counts.clear();
                        for (long id : insertedIds(connect, topic)) {
                            counts.merge(id, 1, Integer::sum);
                        }
                        return counts.keySet().containsAll(committed);
                    });
        } catch (ConditionTimeoutException e) {
            Set<Long> missing = new TreeSet<>(committed);
            missing.removeAll(counts.keySet());
            throw new AssertionError(missing.size() + " committed rows still missing from " + topic + " after " + wait
                    + ", for example " + missing.stream().limit(20).toList(), e);
        }
        return counts;
    }

    /**
     * Waits until the source has created its slot: changes committed before that are not streamed
     * (a connector is RUNNING as soon as its task started; the slot is created just after).
     */
    static void awaitSlot(PostgresNode server, String slot, Duration wait) {
        Awaitility.await("slot " + slot + " created").atMost(wait).until(() -> confirmedFlush(server, slot).isValid());
    }

    static Lsn confirmedFlush(PostgresNode server, String slot) {
        List<List<String>> rows = server.query("postgres",
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
        return rows.isEmpty() || rows.get(0).get(0) == null ? Lsn.INVALID : Lsn.parse(rows.get(0).get(0));
    }
}
