package io.pgmesh.source.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.TableId;
import io.pgmesh.common.envelope.ChangeKey;
import io.pgmesh.common.envelope.ColumnValue;
import io.pgmesh.common.envelope.KeyColumn;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.common.envelope.RowImage;
import io.pgmesh.common.envelope.Truncation;
import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.PgmeshConfigs;
import io.pgmesh.testkit.TypesTable;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.connect.NodeTopic;
import io.pgmesh.testkit.connect.NodeTopic.Decoded;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The topic of a node is a faithful, origin-tagged log of it: real PostgreSQL, real broker, real
 * Connect worker, the connector created through REST.
 */
@Timeout(300)
class SourceCaptureIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static PostgresNode server;
    private static ConnectCluster connect;

    @BeforeAll
    static void startServers() {
        server = PostgresNode.start("capture");
        connect = ConnectCluster.start("capture");
    }

    @AfterAll
    static void stopServers() {
        Closeables.closeAll(connect, server);
    }

    @Test
    void everyColumnTypeIsCapturedAsItsTextRepresentationOneRecordPerChange() {
        String db = "types";
        server.createDatabase(db);
        server.execute(db, TypesTable.DDL);
        startSource("types", streamOnly(PgmeshConfigs.exactlyOnce(PgmeshConfigs.source(server, db, "types", connect.bootstrapServers()))));

        Map<String, Map<String, String>> expected = new HashMap<>();
        List<List<Operation>> transactions = new ArrayList<>();
        server.execute(db, TypesTable.ROWS);
        snapshot(db, expected);
        transactions.add(List.of(Operation.INSERT, Operation.INSERT, Operation.INSERT));
        server.execute(db, "BEGIN; UPDATE alltypes SET c_text = 'changed', c_float8 = 'NaN' WHERE id = 1;"
                + " UPDATE alltypes SET id = 20 WHERE id = 2; COMMIT");
        snapshot(db, expected);
        transactions.add(List.of(Operation.UPDATE, Operation.UPDATE, Operation.DELETE));
        server.execute(db, "DELETE FROM alltypes WHERE id = 3");
        transactions.add(List.of(Operation.DELETE));
        server.execute(db, "BEGIN; INSERT INTO alltypes (id, c_text) VALUES (4, 'four');"
                + " UPDATE alltypes SET c_text = 'FOUR' WHERE id = 4; DELETE FROM alltypes WHERE id = 4; COMMIT");
        transactions.add(List.of(Operation.INSERT, Operation.UPDATE, Operation.DELETE));
        server.execute(db, "TRUNCATE alltypes");
        transactions.add(List.of(Operation.TRUNCATE));

        List<Decoded> changes = awaitChanges("pgmesh.types", 11);
        assertEquals(transactions, operationsByTransaction(changes));
        assertEverySetOfHeadersAndTheOrder(changes, "types");
        assertTransactionsAreKafkaTransactions(NodeTopic.readAll(connect.bootstrapServers(), "pgmesh.types"));

        Set<String> castFunctions = typesWithTextCastFunction(db);
        assertTrue(castFunctions.containsAll(Set.of("character", "boolean", "inet")), castFunctions.toString());
        for (Decoded change : changes) {
            if (change.value() instanceof RowImage image) {
                String id = image.columns().get(0).value();
                Map<String, String> row = expected.get(id + "@" + change.headers().xid());
                if (row == null) {
                    continue;
                }
                assertEquals(Long.parseLong(row.get("commit_us")), change.headers().originCommitMicros(),
                        "origin commit time of row " + id + " is pg_xact_commit_timestamp(xmin)");
                for (ColumnValue column : image.columns()) {
                    if (column.unchangedToast()) {
                        assertEquals("c_big", column.name());
                        continue;
                    }
                    assertEquals(row.get(column.name()), column.value(), "column " + column.name() + " of row " + id);
                    if (!castFunctions.contains(column.type().replaceAll("\\(.*\\)$", ""))) {
                        assertEquals(row.get("cast:" + column.name()), column.value(), column.name() + "::text");
                    }
                }
                assertEquals((row.keySet().size() - 1) / 2, image.columns().size());
            }
        }
        RowImage firstUpdate = (RowImage) changes.get(3).value();
        assertTrue(firstUpdate.columns().stream().anyMatch(c -> c.name().equals("c_big") && c.unchangedToast()),
                "an update that leaves a TOASTed value alone marks it unchanged");
        RowImage keyChange = (RowImage) changes.get(4).value();
        assertEquals(List.of(ColumnValue.of("id", "integer", "2")), keyChange.oldKey());
        assertEquals(ChangeKey.row(new TableId("public", "alltypes"), List.of(new KeyColumn("id", "20"))),
                changes.get(4).key());
        assertNull(changes.get(5).value(), "the key change tombstones the old key, so compaction drops its row");
        assertEquals(ChangeKey.row(new TableId("public", "alltypes"), List.of(new KeyColumn("id", "2"))),
                changes.get(5).key());
        assertNull(changes.get(6).value(), "a delete is a tombstone");
        assertEquals(ChangeKey.row(new TableId("public", "alltypes"), List.of(new KeyColumn("id", "3"))),
                changes.get(6).key());
        assertEquals(new Truncation(new TableId("public", "alltypes"), false, false), changes.get(10).value());
        Map<String, String> types = ((RowImage) changes.get(0).value()).columns().stream()
                .collect(Collectors.toMap(ColumnValue::name, ColumnValue::type));
        assertEquals("numeric(10,2)", types.get("c_numeric_p"));
        assertEquals("public.mood", types.get("c_mood"));
        assertEquals("public.posint", types.get("c_posint"));
        assertEquals("integer[]", types.get("c_int_array"));
        assertEquals("timestamp with time zone", types.get("c_timestamptz"));
    }

    @Test
    void aTransactionAppliedUnderAPeersOriginIsTaggedWithThatPeerItsLsnAndItsTime() {
        String db = "origins";
        server.createDatabase(db);
        server.execute(db, "CREATE TABLE t (id int PRIMARY KEY, v text)", "SELECT pg_replication_origin_create('pgmesh_n2')");
        startSource("origins", streamOnly(PgmeshConfigs.source(server, db, "origins", connect.bootstrapServers())));
        server.execute(db, "SELECT pg_replication_origin_session_setup('pgmesh_n2');"
                + " BEGIN; SELECT pg_replication_origin_xact_setup('0/1234ABCD', '2001-02-03 04:05:06.789012+00');"
                + " INSERT INTO t VALUES (1, 'from n2'); INSERT INTO t VALUES (2, 'from n2'); COMMIT;"
                + " SELECT pg_replication_origin_session_reset(); INSERT INTO t VALUES (3, 'local')");

        List<Decoded> changes = awaitChanges("pgmesh.origins", 3);
        for (Decoded forwarded : changes.subList(0, 2)) {
            assertEquals(new NodeName("n2"), forwarded.headers().originNode());
            assertEquals(Lsn.parse("0/1234ABCD"), forwarded.headers().originLsn());
            assertEquals(981173106789012L, forwarded.headers().originCommitMicros());
            assertEquals(new NodeName("origins"), forwarded.headers().node());
        }
        Decoded local = changes.get(2);
        assertEquals(new NodeName("origins"), local.headers().originNode());
        assertEquals(local.headers().commitLsn(), local.headers().originLsn());
    }

    @Test
    void namesWithCapitalsSpacesQuotesKeywordsAndNonAsciiAreCapturedExactly() {
        String db = "Weird DB ü";
        server.createDatabase(db);
        server.execute(db, "CREATE SCHEMA \"My Schema\"",
                "CREATE TABLE \"My Schema\".\"Ünï \"\"Tbl\"\"\" (\"Select\" int, \"From\" text, \"sp ace\" text,"
                        + " \"quo\"\"te\" text, \"ñ\" text, PRIMARY KEY (\"Select\", \"From\"))");
        startSource("names", streamOnly(PgmeshConfigs.source(server, db, "names", connect.bootstrapServers())));
        server.execute(db, "INSERT INTO \"My Schema\".\"Ünï \"\"Tbl\"\"\" VALUES (1, 'k', 'a', 'b', 'c')",
                "UPDATE \"My Schema\".\"Ünï \"\"Tbl\"\"\" SET \"ñ\" = 'd'",
                "DELETE FROM \"My Schema\".\"Ünï \"\"Tbl\"\"\"");

        List<Decoded> changes = awaitChanges("pgmesh.names", 3);
        TableId table = new TableId("My Schema", "Ünï \"Tbl\"");
        ChangeKey key = ChangeKey.row(table, List.of(new KeyColumn("Select", "1"), new KeyColumn("From", "k")));
        assertEquals(List.of(key, key, key), changes.stream().map(Decoded::key).toList());
        RowImage update = (RowImage) changes.get(1).value();
        assertEquals(table, update.table());
        assertEquals(List.of("Select", "From", "sp ace", "quo\"te", "ñ"),
                update.columns().stream().map(ColumnValue::name).toList());
        assertEquals("d", update.columns().get(4).value());
    }

    @Test
    void anIdleNodesSlotKeepsAdvancingThroughHeartbeats() {
        String db = "idle";
        server.createDatabase(db);
        connect.createConnector("src-idle", streamOnly(PgmeshConfigs.source(server, db, "idle", connect.bootstrapServers())));
        connect.awaitRunning("src-idle", 1, WAIT);
        Awaitility.await("slot created").atMost(WAIT).until(() -> confirmedFlush("pgmesh_idle") != null);
        Lsn first = confirmedFlush("pgmesh_idle");
        Awaitility.await("slot advances without any change").atMost(WAIT).pollInterval(Duration.ofMillis(500))
                .until(() -> confirmedFlush("pgmesh_idle").isAfter(first));
        List<Decoded> records = NodeTopic.readAll(connect.bootstrapServers(), "pgmesh.idle");
        assertFalse(records.isEmpty());
        assertTrue(records.stream().allMatch(r -> r.headers().op() == Operation.HEARTBEAT));
        assertEquals(ChangeKey.heartbeat("idle"), records.get(0).key());
    }

    /**
     * Creates the source of {@code node} and waits until its slot exists: a task is RUNNING as soon
     * as it started, and it creates the slot just after, so a change committed in between is not
     * in the stream (on a slow machine this lost the first transaction of a test).
     */
    private static void startSource(String node, Map<String, String> config) {
        connect.createConnector("src-" + node, config);
        connect.awaitRunning("src-" + node, 1, WAIT);
        Topics.awaitSlot(server, "pgmesh_" + node, WAIT);
    }

    /** Types whose {@code ::text} is a cast function rather than their output function. */
    private static Set<String> typesWithTextCastFunction(String db) {
        return server.query(db, "SELECT format_type(castsource, NULL) FROM pg_cast WHERE casttarget = 'text'::regtype"
                + " AND castmethod = 'f'").stream().map(r -> r.get(0)).collect(Collectors.toSet());
    }

    private static Lsn confirmedFlush(String slot) {
        List<List<String>> rows = server.query("postgres",
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
        return rows.isEmpty() || rows.get(0).get(0) == null ? null : Lsn.parse(rows.get(0).get(0));
    }

    /**
     * Records each row after a commit, keyed by "id@xmin": every column as its type's output
     * function prints it ({@code format('%s', col)}), which is what pgoutput sends and what the
     * sink's input functions read back. {@code col::text} is recorded too ("cast:" entries): it is the
     * same text except for the few types whose cast to text is a function of its own (see
     * {@link #typesWithTextCastFunction}), such as bpchar (trailing blanks trimmed) and boolean.
     */
    private static void snapshot(String db, Map<String, Map<String, String>> expected) {
        List<String> columns = server.query(db, "SELECT attname FROM pg_attribute WHERE attrelid = 'alltypes'::regclass"
                + " AND attnum > 0 AND NOT attisdropped ORDER BY attnum").stream().map(r -> r.get(0)).toList();
        String select = columns.stream().map(c -> "CASE WHEN num_nulls(\"" + c + "\") = 1 THEN NULL ELSE format('%s', \""
                + c + "\") END, \"" + c + "\"::text").collect(Collectors.joining(", "));
        for (List<String> row : server.query(db, "SELECT xmin::text, (extract(epoch FROM"
                + " pg_xact_commit_timestamp(xmin)) * 1000000)::bigint::text, " + select + " FROM alltypes")) {
            Map<String, String> values = new LinkedHashMap<>();
            values.put("commit_us", row.get(1));
            for (int i = 0; i < columns.size(); i++) {
                values.put(columns.get(i), row.get(2 + 2 * i));
                values.put("cast:" + columns.get(i), row.get(3 + 2 * i));
            }
            expected.put(row.get(2) + "@" + row.get(0), values);
        }
    }

    /** The topic's non-heartbeat records once there are {@code count} of them. */
    private static List<Decoded> awaitChanges(String topic, int count) {
        List<List<Decoded>> result = new ArrayList<>();
        String connector = "src-" + topic.substring("pgmesh.".length());
        Awaitility.await(count + " changes in " + topic).atMost(WAIT).pollInterval(Duration.ofMillis(500))
                .ignoreExceptionsMatching(e -> !(e instanceof AssertionError)).until(() -> {
                    connect.assertNotFailed(connector);
                    List<Decoded> changes = NodeTopic.readAll(connect.bootstrapServers(), topic).stream()
                            .filter(r -> r.headers().op() != Operation.HEARTBEAT).toList();
                    result.clear();
                    result.add(changes);
                    return changes.size() >= count;
                });
        List<Decoded> changes = result.get(0);
        assertEquals(count, changes.size(), "exactly one record per row change");
        return changes;
    }

    private static List<List<Operation>> operationsByTransaction(List<Decoded> changes) {
        Map<Long, List<Operation>> byXid = new LinkedHashMap<>();
        for (Decoded d : changes) {
            byXid.computeIfAbsent(d.headers().xid(), x -> new ArrayList<>()).add(d.headers().op());
        }
        return new ArrayList<>(byXid.values());
    }

    private static void assertEverySetOfHeadersAndTheOrder(List<Decoded> changes, String node) {
        for (int i = 0; i < changes.size(); i++) {
            Decoded d = changes.get(i);
            assertEquals(new NodeName(node), d.headers().node());
            assertEquals(new NodeName(node), d.headers().originNode());
            assertEquals(d.headers().commitLsn(), d.headers().originLsn());
            assertEquals(Set.of("default"), d.headers().sets());
            assertTrue(d.headers().xid() > 0);
            if (i == 0) {
                continue;
            }
            Decoded previous = changes.get(i - 1);
            boolean sameTransaction = previous.headers().xid() == d.headers().xid();
            assertEquals(!sameTransaction, previous.headers().txLast(), "record " + (i - 1) + " flags its transaction's end");
            if (sameTransaction) {
                assertEquals(previous.headers().commitLsn(), d.headers().commitLsn());
                assertEquals(previous.headers().txSeq() + 1, d.headers().txSeq());
            } else {
                assertTrue(d.headers().commitLsn().isAfter(previous.headers().commitLsn()), "LSNs increase");
                assertEquals(0, d.headers().txSeq());
            }
        }
        assertTrue(changes.get(changes.size() - 1).headers().txLast());
    }

    /**
     * With exactly-once, Kafka transactions end only on PostgreSQL commits (several PostgreSQL
     * transactions may share one): a commit marker, the gap of two offsets, follows only the last
     * record of a PostgreSQL transaction, and the topic ends with one.
     */
    private static void assertTransactionsAreKafkaTransactions(List<Decoded> all) {
        for (int i = 1; i < all.size(); i++) {
            Decoded previous = all.get(i - 1);
            long gap = all.get(i).offset() - previous.offset();
            assertTrue(gap == 1 || (gap == 2 && previous.headers().txLast()), "a Kafka transaction ends inside a"
                    + " PostgreSQL one: offset gap " + gap + " after offset " + previous.offset());
        }
        assertTrue(all.get(all.size() - 1).headers().txLast(), "the last Kafka transaction ends on a PostgreSQL commit");
    }

    /** These tests look at what the stream captures: no initial snapshot (see SnapshotIT). */
    private static java.util.Map<String, String> streamOnly(java.util.Map<String, String> config) {
        config.put("snapshot.mode", "never");
        return config;
    }
}
