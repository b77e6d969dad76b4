package io.pgmesh.sink.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.TableId;
import io.pgmesh.common.envelope.ColumnValue;
import io.pgmesh.common.schema.NodeSchema;
import io.pgmesh.common.sql.PostgresConnector;
import io.pgmesh.sink.config.PgmeshSinkConfig;
import io.pgmesh.sink.conflict.ConflictJudge.Change;
import io.pgmesh.sink.conflict.Version;
import io.pgmesh.sink.pipeline.StatementPipeline;
import io.pgmesh.sink.schema.TargetTable;
import io.pgmesh.sink.schema.TargetTables;
import io.pgmesh.testkit.PgmeshConfigs;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The apply statements against a real PostgreSQL: last-update-wins on (commit time, node),
 * tombstones, truncate markers, unchanged TOAST values, moved keys. Remote changes are applied
 * through the sink's own classes in a replication-origin session, exactly as the sink does.
 */
@Timeout(120)
class LastUpdateWinsIT {

    private static final String DB = "lww";
    private static final TableId T = new TableId("public", "t");
    /** Remote versions well before any local write of the test run. */
    private static final long T0 = Instant.parse("2020-01-01T00:00:00Z").toEpochMilli() * 1000;
    private static PostgresNode server;
    private static PgmeshSinkConfig config;
    private Connection connection;
    private OriginSession session;
    private final ChangeApplier applier = new ChangeApplier(true);
    private final TargetTables tables = new TargetTables();
    private long lsn = 0x1000;

    @BeforeAll
    static void startServer() throws SQLException {
        server = PostgresNode.start("lww");
        server.createDatabase(DB);
        config = new PgmeshSinkConfig(PgmeshConfigs.sink(server, DB, "me", List.of("n1", "n2")));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void freshTable() throws SQLException {
        server.execute(DB, "DROP TABLE IF EXISTS t", "CREATE TABLE t (id int PRIMARY KEY, v text, big text)");
        connection = ApplyConnections.open(new PostgresConnector(config.database()), config);
        NodeSchema.bootstrap(connection, new NodeName("me"));
        server.execute(DB, "TRUNCATE pgmesh.tombstones", "TRUNCATE pgmesh.applied_origins");
        session = new OriginSession(connection);
    }

    @AfterEach
    void close() throws SQLException {
        connection.close();
    }

    @Test
    void bootstrapIsIdempotentAndRefusesAnotherNodeName() throws SQLException {
        NodeSchema.bootstrap(connection, new NodeName("me"));
        assertEquals("me", server.queryValue(DB, "SELECT pgmesh.local_node()"));
        ConnectException e = assertThrows(ConnectException.class, () -> NodeSchema.bootstrap(connection, new NodeName("other")));
        assertTrue(e.getMessage().contains("is pgmesh node 'me'"), e.getMessage());
        assertEquals("3", server.queryValue(DB, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 't'::regclass"
                + " AND tgname LIKE 'pgmesh\\_%' AND tgenabled = 'A'"));
    }

    @Test
    void anOlderInstalledSchemaIsUpgradedInPlaceKeepingWhatItHolds() throws SQLException {
        server.execute(DB, "INSERT INTO pgmesh.applied_origins (origin, lsn) VALUES ('old', '0/42')"
                        + " ON CONFLICT (origin) DO NOTHING",
                "ALTER TABLE pgmesh.applied_origins DROP COLUMN transactions",
                "DROP FUNCTION pgmesh.sync_event()", "DROP FUNCTION pgmesh.wait_for_sync_event(text, pg_lsn, integer)",
                "DROP TABLE pgmesh.exceptions",
                "UPDATE pgmesh.schema_version SET version = 1");
        NodeSchema.bootstrap(connection, new NodeName("me"));
        assertEquals("5", server.queryValue(DB, "SELECT version FROM pgmesh.schema_version"));
        assertEquals("0", server.queryValue(DB, "SELECT count(*) FROM pgmesh.exceptions"));
        assertEquals("0/42|0", server.queryValue(DB, "SELECT lsn || '|' || transactions FROM pgmesh.applied_origins"
                + " WHERE origin = 'old'"));
        assertEquals("t", server.queryValue(DB, "SELECT pgmesh.wait_for_sync_event('old', '0/42', 1)"));
        assertEquals("f", server.queryValue(DB, "SELECT pgmesh.wait_for_sync_event('old', '0/43', 1)"));
        server.execute(DB, "DELETE FROM pgmesh.applied_origins WHERE origin = 'old'");
    }

    @Test
    void aNewerRemoteUpdateWinsAndAnOlderOneLosesReportingTheLocalVersion() throws SQLException {
        ChangeApplier.Part insert = apply(insert(1, "first"), new Version(T0, "n1"));
        assertTrue(insert.result().applied());
        assertNull(localRow(insert));

        ChangeApplier.Part newer = apply(update(1, "newer"), new Version(T0 + 10, "n2"));
        assertTrue(newer.result().applied());
        assertEquals(new Version(T0, "n1"), localRow(newer));

        ChangeApplier.Part older = apply(update(1, "older"), new Version(T0 + 5, "n1"));
        assertFalse(older.result().applied());
        assertEquals(new Version(T0 + 10, "n2"), localRow(older));
        assertEquals("newer", value(1));
        assertEquals((T0 + 10) + "|n2", server.queryValue(DB, "SELECT pgmesh.micros((pgmesh.xact_version(xmin)).commit_ts)"
                + " || '|' || (pgmesh.xact_version(xmin)).node FROM t WHERE id = 1"));
    }

    @Test
    void equalCommitTimesAreDecidedByNodeName() throws SQLException {
        apply(insert(1, "from n1"), new Version(T0, "n1"));
        assertFalse(apply(update(1, "from n0"), new Version(T0, "n0")).result().applied(), "n0 < n1");
        assertTrue(apply(update(1, "from n2"), new Version(T0, "n2")).result().applied(), "n2 > n1");
        assertEquals("from n2", value(1));
        assertFalse(apply(update(1, "again"), new Version(T0, "n2")).result().applied(), "the same version is no news");
    }

    /**
     * The statements' inline comparison decides exactly as pgmesh.remote_wins on generated
     * versions: local writes, writes under pgmesh origins and under a foreign origin, a frozen row,
     * remote versions before, at and after each one's commit time, with node names on both sides of
     * each row's node, ties included.
     */
    @Test
    void theInlineComparisonOrdersVersionsAsPgmeshRemoteWins() throws SQLException {
        server.execute(DB, "CREATE TABLE IF NOT EXISTS versions (id int PRIMARY KEY)", "TRUNCATE versions",
                "INSERT INTO versions VALUES (0)", "VACUUM FREEZE versions");
        OriginNodes nodes = new OriginNodes(connection);
        assertEquals("me", nodes.nodeOf(0L), "read before the origins below exist: they are met as unknown roidents");
        long[] times = {T0, T0, T0 + 1, T0 + 5};
        String[] origins = {"pgmesh_n1", "pgmesh_n2", "other_origin", "pgmesh_n1"};
        int id = 1;
        for (int i = 0; i < times.length; i++) {
            try (var s = connection.createStatement()) {
                s.execute("SELECT pg_replication_origin_create('" + origins[i] + "') WHERE NOT EXISTS (SELECT 1 FROM"
                        + " pg_replication_origin WHERE roname = '" + origins[i] + "')");
                s.execute("SELECT pg_replication_origin_session_setup('" + origins[i] + "')");
                s.execute("SELECT pg_replication_origin_xact_setup('0/" + Long.toHexString(++lsn) + "', '"
                        + new Version(times[i], "x").timestamptz() + "')");
                s.execute("INSERT INTO public.versions VALUES (" + (id++) + ")");
                connection.commit();
                s.execute("SELECT pg_replication_origin_session_reset()");
                connection.commit();
            }
        }
        server.execute(DB, "INSERT INTO versions VALUES (" + id + ")");
        String local = server.queryValue(DB, "SELECT pgmesh.micros(pg_xact_commit_timestamp(xmin)) FROM versions"
                + " WHERE id = " + id);
        List<Long> remoteTimes = new ArrayList<>(List.of(T0 - 1, T0, T0 + 1, T0 + 2, T0 + 5, T0 + 6));
        long l = Long.parseLong(local);
        remoteTimes.addAll(List.of(l - 1, l, l + 1));
        int compared = 0;
        for (long ts : remoteTimes) {
            for (String node : List.of("a", "me", "mf", "n0", "n1", "n15", "n2", "n3", "zz")) {
                String rts = "'" + new Version(ts, node).timestamptz() + "'::timestamptz";
                String rnode = "'" + node + "'::text";
                List<List<String>> rows = server.query(DB, "SELECT id, pgmesh.remote_wins(" + rts + ", " + rnode
                        + ", v.xmin)::text, " + ApplyStatements.remoteWinsOver("v.xmin", rts, rnode) + "::text"
                        + " FROM public.versions AS v ORDER BY id");
                for (List<String> row : rows) {
                    assertEquals(row.get(1), row.get(2), "row " + row.get(0) + " against (" + ts + ", " + node + ")");
                    compared++;
                }
            }
        }
        assertEquals(remoteTimes.size() * 9 * (id + 1), compared);
        // the statements report a version's origin as its roident; named by the sink, it is pgmesh.xact_version's node
        List<List<String>> versions = server.query(DB, "SELECT v.id, c.roident, (pgmesh.xact_version(v.xmin)).node"
                + " FROM public.versions AS v, pg_xact_commit_timestamp_origin(v.xmin) AS c ORDER BY v.id");
        assertEquals(id + 1, versions.size());
        for (List<String> row : versions) {
            Long roident = row.get(1) == null ? null : Long.valueOf(row.get(1));
            assertEquals(row.get(2), nodes.nodeOf(roident), "row " + row.get(0) + " of roident " + roident);
        }
    }

    @Test
    void localWritesCountAsThisNodeAtTheirCommitTime() throws SQLException {
        server.execute(DB, "INSERT INTO t VALUES (1, 'local')");
        long local = Long.parseLong(server.queryValue(DB, "SELECT pgmesh.micros(pg_xact_commit_timestamp(xmin)) FROM t"));
        ChangeApplier.Part part = apply(update(1, "remote"), new Version(local - 1, "zz"));
        assertFalse(part.result().applied());
        assertEquals(new Version(local, "me"), localRow(part));
        assertTrue(apply(update(1, "remote"), new Version(local + 1, "a")).result().applied());
    }

    @Test
    void aDeleteLeavesATombstoneThatOlderUpdatesAndInsertsCannotCrossButNewerOnesCan() throws SQLException {
        apply(insert(1, "x"), new Version(T0, "n1"));
        ChangeApplier.Part delete = apply(delete(1), new Version(T0 + 10, "n2"));
        assertTrue(delete.result().applied());
        assertEquals("0", server.queryValue(DB, "SELECT count(*) FROM t"));

        ChangeApplier.Part staleUpdate = apply(update(1, "stale"), new Version(T0 + 5, "n1"));
        assertFalse(staleUpdate.result().applied());
        assertEquals(new Version(T0 + 10, "n2"), tombstone(staleUpdate));
        assertEquals("0", server.queryValue(DB, "SELECT count(*) FROM t"));

        assertTrue(apply(update(1, "recreated"), new Version(T0 + 20, "n1")).result().applied());
        assertEquals("recreated", value(1));
    }

    @Test
    void aDeleteOfAMissingRowStillLeavesATombstone() throws SQLException {
        ChangeApplier.Part delete = apply(delete(7), new Version(T0 + 10, "n2"));
        assertTrue(delete.result().applied());
        assertNull(localRow(delete));
        assertFalse(apply(insert(7, "late insert"), new Version(T0, "n1")).result().applied());
        assertEquals("0", server.queryValue(DB, "SELECT count(*) FROM t"));
        assertFalse(apply(delete(7), new Version(T0 + 5, "n1")).result().applied(), "an older delete keeps the newer tombstone");
        assertEquals((T0 + 10) + "", server.queryValue(DB, "SELECT pgmesh.micros((pgmesh.xact_version(xmin)).commit_ts)"
                + " FROM pgmesh.tombstones"));
    }

    @Test
    void aNewerLocalRowSurvivesARemoteDelete() throws SQLException {
        apply(insert(1, "x"), new Version(T0 + 10, "n1"));
        ChangeApplier.Part delete = apply(delete(1), new Version(T0 + 5, "n2"));
        assertFalse(delete.result().applied());
        assertEquals("x", value(1));
    }

    @Test
    void aLocalDeleteWritesTheTombstoneWithItsOwnVersion() throws SQLException {
        apply(insert(1, "x"), new Version(T0, "n1"));
        server.execute(DB, "DELETE FROM t WHERE id = 1");
        assertEquals("me", server.queryValue(DB, "SELECT (pgmesh.xact_version(xmin)).node FROM pgmesh.tombstones"));
        assertEquals("{\"id\": 1}", server.queryValue(DB, "SELECT key::text FROM pgmesh.tombstones"));
        assertFalse(apply(update(1, "older remote"), new Version(T0 + 1, "n1")).result().applied());
        long later = Instant.now().plus(1, ChronoUnit.HOURS).toEpochMilli() * 1000;
        assertTrue(apply(update(1, "newer remote"), new Version(later, "n1")).result().applied());
    }

    /*
     * Races with the node's own writers. PostgreSQL's INSERT ... ON CONFLICT inserts when the row it
     * conflicted with is deleted (or moved to another key) by a transaction that commits while it
     * waits, although the statement had found the row, and not its tombstone, at its start: a remote
     * change older than that local delete would bring the row back on this node only (the
     * ThreeNodeMeshIT divergence). The statements look again and fail with serialization_failure;
     * applied again, the change meets the delete.
     */

    @Test
    void anOlderRemoteUpsertThatMeetsALocalDeleteCommittingMeanwhileIsAppliedAgainAndStaysOut() throws Exception {
        server.execute(DB, "INSERT INTO t VALUES (1, 'local')");
        SQLException raced = raceWithLocal("DELETE FROM t WHERE id = 1", () -> apply(update(1, "older remote"),
                new Version(T0, "n1")));
        assertEquals("40001", raced.getSQLState(), raced.getMessage());
        connection.rollback();
        assertFalse(apply(update(1, "older remote"), new Version(T0, "n1")).result().applied());
        assertEquals("0", server.queryValue(DB, "SELECT count(*) FROM t"));
    }

    @Test
    void anOlderRemoteUpsertThatMeetsALocalKeyMoveCommittingMeanwhileIsAppliedAgainAndStaysOut() throws Exception {
        server.execute(DB, "INSERT INTO t VALUES (1, 'local')");
        SQLException raced = raceWithLocal("UPDATE t SET id = 2 WHERE id = 1", () -> apply(update(1, "older remote"),
                new Version(T0, "n1")));
        assertEquals("40001", raced.getSQLState(), raced.getMessage());
        connection.rollback();
        assertFalse(apply(update(1, "older remote"), new Version(T0, "n1")).result().applied());
        assertEquals("2:local", server.queryValue(DB, "SELECT string_agg(id || ':' || v, ',') FROM t"));
    }

    @Test
    void aRemoteInsertThatMeetsALocalInsertAndDeleteCommittingMeanwhileIsAppliedAgainAndStaysOut() throws Exception {
        SQLException raced = raceWithLocal("INSERT INTO t VALUES (1, 'local'); DELETE FROM t WHERE id = 1",
                () -> apply(insert(1, "older remote"), new Version(T0, "n1")));
        assertEquals("40001", raced.getSQLState(), raced.getMessage());
        connection.rollback();
        assertFalse(apply(insert(1, "older remote"), new Version(T0, "n1")).result().applied());
        assertEquals("0", server.queryValue(DB, "SELECT count(*) FROM t"));
    }

    @Test
    void aRemoteDeleteThatFindsItsRowDeletedMeanwhileIsAppliedAgainKeepingTheNewerTombstone() throws Exception {
        apply(insert(1, "x"), new Version(T0, "n1"));
        SQLException raced = raceWithLocal("DELETE FROM t WHERE id = 1", () -> apply(delete(1), new Version(T0 + 5, "n2")));
        assertEquals("40001", raced.getSQLState(), raced.getMessage());
        connection.rollback();
        assertFalse(apply(delete(1), new Version(T0 + 5, "n2")).result().applied());
        assertEquals("me", server.queryValue(DB, "SELECT (pgmesh.xact_version(xmin)).node FROM pgmesh.tombstones"));
    }

    @Test
    void snapshotRowsThatMeetALocalInsertAndDeleteCommittingMeanwhileGoToTheRowStatement() throws Exception {
        TargetTable t = table();
        SQLException raced = raceWithLocal("INSERT INTO t VALUES (1, 'local'); DELETE FROM t WHERE id = 1", () -> {
            begin(new Version(T0, "n1"));
            SnapshotBatch batch = new SnapshotBatch();
            RowChange row = insert(1, "copied");
            batch.add(null, t, row, ChangeApplier.columnsOf(t, row.image()));
            batch.insert(connection, applier::prepare);
            return null;
        });
        assertEquals("40001", raced.getSQLState(), raced.getMessage());
        connection.rollback();
        assertFalse(apply(insert(1, "copied"), new Version(T0, "n1")).result().applied());
        assertEquals("0", server.queryValue(DB, "SELECT count(*) FROM t"));
    }

    /** What a remote apply must do with the row a local transaction is writing. */
    private interface RemoteApply {
        Object run() throws SQLException;
    }

    /**
     * Runs {@code local} in a local transaction left open, starts {@code remote} (which waits for
     * that transaction's row lock), commits the local transaction once the remote apply waits, and
     * returns the error the remote apply failed with.
     */
    private SQLException raceWithLocal(String local, RemoteApply remote) throws Exception {
        try (Connection writer = server.connect(DB)) {
            writer.setAutoCommit(false);
            try (var s = writer.createStatement()) {
                s.execute(local);
            }
            int backend;
            try (var s = connection.createStatement(); var rs = s.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                backend = rs.getInt(1);
            }
            connection.commit();
            var outcome = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    remote.run();
                    return null;
                } catch (SQLException e) {
                    return e;
                }
            });
            org.awaitility.Awaitility.await("the remote apply waits for the local transaction")
                    .atMost(java.time.Duration.ofSeconds(30)).until(() -> "Lock".equals(server.queryValue(DB,
                            "SELECT wait_event_type FROM pg_stat_activity WHERE pid = " + backend)));
            writer.commit();
            SQLException e = outcome.get(30, java.util.concurrent.TimeUnit.SECONDS);
            if (e == null) {
                throw new AssertionError("the remote apply did not notice the local transaction: " + server.query(DB,
                        "SELECT id, v FROM t"));
            }
            return e;
        }
    }

    @Test
    void unchangedToastValuesAreLeftAsTheyAre() throws SQLException {
        Map<String, ColumnValue> image = image(1, "v1");
        image.put("big", ColumnValue.of("big", "text", "B".repeat(5000)));
        apply(new RowChange(Change.INSERT, T, Map.of("id", "1"), null, image), new Version(T0, "n1"));
        Map<String, ColumnValue> update = image(1, "v2");
        update.put("big", ColumnValue.unchangedToast("big", "text"));
        assertTrue(apply(new RowChange(Change.UPDATE, T, Map.of("id", "1"), null, update), new Version(T0 + 1, "n1"))
                .result().applied());
        assertEquals("v2|5000", server.queryValue(DB, "SELECT v || '|' || length(big) FROM t WHERE id = 1"));
    }

    @Test
    void anUpdateThatMovesTheKeyDeletesTheOldRowCarryingUnchangedToastValues() throws SQLException {
        Map<String, ColumnValue> image = image(1, "v1");
        image.put("big", ColumnValue.of("big", "text", "B".repeat(3000)));
        apply(new RowChange(Change.INSERT, T, Map.of("id", "1"), null, image), new Version(T0, "n1"));
        Map<String, ColumnValue> moved = image(2, "v1");
        moved.put("big", ColumnValue.unchangedToast("big", "text"));
        ChangeApplier.Applied applied = applier.apply(connection, table(), new RowChange(Change.UPDATE, T,
                Map.of("id", "2"), Map.of("id", "1"), moved), begin(new Version(T0 + 1, "n1")));
        connection.commit();
        assertEquals(2, applied.parts().size());
        assertEquals("2|3000", server.queryValue(DB, "SELECT id || '|' || length(big) FROM t"));
        assertEquals("{\"id\": 1}", server.queryValue(DB, "SELECT key::text FROM pgmesh.tombstones"));
    }

    @Test
    void aTruncateMarksTheTableSoOlderChangesInFlightStayOut() throws SQLException {
        apply(insert(1, "x"), new Version(T0, "n1"));
        server.execute(DB, "TRUNCATE t");
        assertFalse(apply(insert(2, "older than the truncate"), new Version(T0 + 1, "n1")).result().applied());
        long later = Instant.now().plus(1, ChronoUnit.HOURS).toEpochMilli() * 1000;
        assertTrue(apply(insert(3, "newer"), new Version(later, "n1")).result().applied());
        assertEquals("3", server.queryValue(DB, "SELECT string_agg(id::text, ',') FROM t"));
    }

    @Test
    void aRemoteTruncateKeepsRowsNewerThanItself() throws SQLException {
        apply(insert(1, "old"), new Version(T0, "n1"));
        apply(insert(2, "new"), new Version(T0 + 100, "n2"));
        begin(new Version(T0 + 50, "n1"));
        try (var s = connection.prepareStatement("SELECT pgmesh.apply_truncate(ARRAY['public.t'::regclass], ?::timestamptz, 'n1', false)")) {
            s.setString(1, Instant.EPOCH.plus(T0 + 50, ChronoUnit.MICROS).toString());
            s.execute();
        }
        connection.commit();
        assertEquals("2", server.queryValue(DB, "SELECT string_agg(id::text, ',') FROM t"));
    }

    @Test
    void aRowWrittenBeforeCommitTimestampsWereKeptHasNoTimeAndLoses() throws SQLException {
        connection.close();
        server.execute("postgres", "ALTER SYSTEM SET track_commit_timestamp = off");
        server.restart(PostgresNode.StopMode.FAST);
        server.execute(DB, "INSERT INTO t VALUES (1, 'from before pgmesh')");
        server.execute("postgres", "ALTER SYSTEM RESET track_commit_timestamp");
        server.restart(PostgresNode.StopMode.FAST);
        connection = ApplyConnections.open(new PostgresConnector(config.database()), config);
        session = new OriginSession(connection);
        assertEquals("-infinity", server.queryValue(DB, "SELECT (pgmesh.xact_version(xmin)).commit_ts FROM t"));
        ChangeApplier.Part part = apply(update(1, "replicated"), new Version(1, "n1"));
        assertTrue(part.result().applied());
        assertEquals(new Version(Version.UNKNOWN_TIME, "me"), localRow(part));
    }

    @Test
    void aRolledBackApplyIsNotCountedAsAppliedThoughPostgresOriginProgressMoves() throws SQLException {
        apply(insert(1, "applied"), new Version(T0, "n1"));
        Lsn applied = io.pgmesh.sink.progress.SinkProgress.applied(connection, "n1");
        connection.commit();
        StatementPipeline setup = new StatementPipeline();
        session.begin(new NodeName("n1"), new Lsn(0xFFFFFF), "2020-01-01T00:00:00Z", setup);
        applier.execute(setup, connection);
        applier.apply(connection, table(), insert(2, "rolled back"), new Version(T0 + 1, "n1"));
        connection.rollback();
        assertEquals("0/FFFFFF", server.queryValue(DB, "SELECT pg_replication_origin_progress('pgmesh_n1', false)"),
                "PostgreSQL advances an origin's progress when a transaction that called xact_setup rolls back");
        assertEquals(applied, io.pgmesh.sink.progress.SinkProgress.applied(connection, "n1"));
    }

    @Test
    void hostileNamesAreQuotedEverywhere() throws SQLException {
        TargetTable table = hostileTable("\"v;drop\" text");
        TableId id = table.id();
        Map<String, ColumnValue> image = new LinkedHashMap<>();
        image.put("from", ColumnValue.of("from", "integer", "1"));
        image.put("Ke'y", ColumnValue.of("Ke'y", "text", "k'1"));
        image.put("v;drop", ColumnValue.of("v;drop", "text", "x'); DROP TABLE t; --"));
        Map<String, String> key = Map.of("from", "1", "Ke'y", "k'1");
        applier.apply(connection, table, new RowChange(Change.INSERT, id, key, null, image), begin(new Version(T0, "n1")));
        connection.commit();
        applier.apply(connection, table, new RowChange(Change.DELETE, id, key, null, null), begin(new Version(T0 + 1, "n1")));
        connection.commit();
        assertEquals("0", server.queryValue(DB, "SELECT count(*) FROM \"Wé'ird \"\"S\".\"select\""));
        assertEquals("{\"Ke'y\": \"k'1\", \"from\": 1}", server.queryValue(DB, "SELECT key::text FROM pgmesh.tombstones"));
    }

    @Test
    void aTransactionsChangesSentTogetherApplyInOrderAndEachReportsItsOwnResult() throws SQLException {
        apply(insert(1, "old"), new Version(T0 + 10, "n2"));
        Version remote = new Version(T0 + 5, "n1");
        StatementPipeline pipeline = new StatementPipeline();
        session.begin(new NodeName("n1"), new Lsn(++lsn), remote.timestamptz(), pipeline);
        TargetTable t = table();
        List<ChangeApplier.Applied> results = new ArrayList<>();
        results.add(applier.queue(pipeline, connection, t, insert(2, "two"), remote));
        results.add(applier.queue(pipeline, connection, t, update(2, "two; and a semicolon"), remote));
        results.add(applier.queue(pipeline, connection, t, update(1, "loses to the newer local row"), remote));
        results.add(applier.queue(pipeline, connection, t, insert(3, "three"), remote));
        results.add(applier.queue(pipeline, connection, t, delete(3), remote));
        assertTrue(results.stream().allMatch(r -> r.parts().isEmpty()), "results arrive when the pipeline runs");
        applier.execute(pipeline, connection);
        connection.commit();

        assertEquals(List.of(true, true, false, true, true),
                results.stream().map(r -> r.parts().get(0).result().applied()).toList());
        assertEquals("two; and a semicolon", value(2));
        assertEquals("old", value(1));
        assertEquals("0", server.queryValue(DB, "SELECT count(*) FROM t WHERE id = 3"));
        assertEquals(new Version(T0 + 10, "n2"), localRow(results.get(2).parts().get(0)));
    }

    @Test
    void snapshotRowsGoInTogetherWhereTheyMeetNothingAndTheRestComeBackForTheRowStatement() throws SQLException {
        apply(insert(2, "newer local row"), new Version(T0 + 10, "n2"));
        apply(insert(3, "to be deleted"), new Version(T0, "n2"));
        apply(delete(3), new Version(T0 + 1, "n2"));
        Version snapshot = begin(new Version(T0 + 5, "n1"));
        TargetTable t = table();
        SnapshotBatch batch = new SnapshotBatch();
        for (int id = 1; id <= 5; id++) {
            RowChange row = insert(id, id == 4 ? null : "copied 'row' " + id);
            List<TargetTable.Column> columns = ChangeApplier.columnsOf(t, row.image());
            assertTrue(SnapshotBatch.fits(t, row, columns));
            batch.add(null, t, row, columns);
        }
        List<Integer> left = batch.insert(connection, applier::prepare).stream()
                .map(r -> Integer.parseInt(r.change().key().get("id"))).toList();
        connection.commit();
        assertEquals(List.of(2, 3), left, "the row that exists and the tombstoned row are left to the row statement");
        assertTrue(batch.isEmpty());
        assertEquals("copied 'row' 1", value(1));
        assertEquals("newer local row", value(2));
        assertEquals("0", server.queryValue(DB, "SELECT count(*) FROM t WHERE id = 3"));
        assertEquals("1", server.queryValue(DB, "SELECT count(*) FROM t WHERE id = 4 AND v IS NULL"));
        assertEquals(snapshot.commitMicros() + "|n1", server.queryValue(DB, "SELECT pgmesh.micros((pgmesh.xact_version(xmin))"
                + ".commit_ts) || '|' || (pgmesh.xact_version(xmin)).node FROM t WHERE id = 5"),
                "inserted rows carry the snapshot run's commit time and origin");
    }

    @Test
    void aTruncateMarkerSendsEverySnapshotRowToTheRowStatement() throws SQLException {
        server.execute(DB, "INSERT INTO pgmesh.tombstones (relid, key) VALUES ('t'::regclass, '\"truncate\"')");
        begin(new Version(T0, "n1"));
        TargetTable t = table();
        SnapshotBatch batch = new SnapshotBatch();
        RowChange row = insert(1, "x");
        batch.add(null, t, row, ChangeApplier.columnsOf(t, row.image()));
        assertEquals(1, batch.insert(connection, applier::prepare).size());
        connection.commit();
        assertEquals("0", server.queryValue(DB, "SELECT count(*) FROM t"));
    }

    @Test
    void snapshotBatchesQuoteHostileNamesAndParseValuesWithTheColumnsTypes() throws SQLException {
        TargetTable table = hostileTable("\"c0\" numeric[], \"ord\" timestamptz");
        TableId id = table.id();
        Map<String, ColumnValue> image = new LinkedHashMap<>();
        image.put("from", ColumnValue.of("from", "integer", "1"));
        image.put("Ke'y", ColumnValue.of("Ke'y", "text", "k'1"));
        image.put("c0", ColumnValue.of("c0", "numeric[]", "{1.5,NaN,NULL}"));
        image.put("ord", ColumnValue.of("ord", "timestamp with time zone", "2001-02-03 04:05:06+00"));
        RowChange row = new RowChange(Change.INSERT, id, Map.of("from", "1", "Ke'y", "k'1"), null, image);
        begin(new Version(T0, "n1"));
        SnapshotBatch batch = new SnapshotBatch();
        batch.add(null, table, row, ChangeApplier.columnsOf(table, image));
        assertEquals(List.of(), batch.insert(connection, applier::prepare));
        connection.commit();
        assertEquals("k'1|{1.5,NaN,NULL}|2001-02-03 04:05:06", server.queryValue(DB, "SELECT \"Ke'y\" || '|'"
                + " || c0::text || '|' || (ord AT TIME ZONE 'UTC')::text FROM \"Wé'ird \"\"S\".\"select\""));
    }

    /**
     * Table "select" of schema "Wé'ird ""S", keyed by columns "from" and "Ke'y", with {@code more}
     * columns, created afresh.
     */
    private TargetTable hostileTable(String more) throws SQLException {
        server.execute(DB, "CREATE SCHEMA IF NOT EXISTS \"Wé'ird \"\"S\"", "DROP TABLE IF EXISTS \"Wé'ird \"\"S\".\"select\"",
                "CREATE TABLE \"Wé'ird \"\"S\".\"select\" (\"from\" int, \"Ke'y\" text, " + more
                        + ", PRIMARY KEY (\"from\", \"Ke'y\"))");
        return tables.find(connection, new TableId("Wé'ird \"S", "select")).orElseThrow();
    }

    /** The local row's version the part's statement reported, its origin named as the sink names it. */
    private Version localRow(ChangeApplier.Part part) throws SQLException {
        return part.result().outcome(new OriginNodes(connection)).localRow();
    }

    private Version tombstone(ChangeApplier.Part part) throws SQLException {
        return part.result().outcome(new OriginNodes(connection)).tombstone();
    }

    private ChangeApplier.Part apply(RowChange change, Version version) throws SQLException {
        ChangeApplier.Applied applied = applier.apply(connection, table(), change, begin(version));
        new io.pgmesh.sink.progress.SinkProgress("test").write(connection, "t", 0, lsn, new io.pgmesh.sink.conflict.SeenVector(),
                version.node(), new Lsn(lsn), version.timestamptz());
        connection.commit();
        session.applied(new NodeName(version.node()), new Lsn(lsn));
        return applied.parts().get(applied.parts().size() - 1);
    }

    private Version begin(Version version) throws SQLException {
        StatementPipeline setup = new StatementPipeline();
        session.begin(new NodeName(version.node()), new Lsn(++lsn), version.timestamptz(), setup);
        applier.execute(setup, connection);
        return version;
    }

    private TargetTable table() throws SQLException {
        tables.forgetAll();
        return tables.find(connection, T).orElseThrow();
    }

    private String value(int id) {
        return server.queryValue(DB, "SELECT v FROM t WHERE id = " + id);
    }

    private static Map<String, ColumnValue> image(int id, String v) {
        Map<String, ColumnValue> image = new LinkedHashMap<>();
        image.put("id", ColumnValue.of("id", "integer", Integer.toString(id)));
        image.put("v", ColumnValue.of("v", "text", v));
        return image;
    }

    private static RowChange insert(int id, String v) {
        return new RowChange(Change.INSERT, T, Map.of("id", Integer.toString(id)), null, image(id, v));
    }

    private static RowChange update(int id, String v) {
        return new RowChange(Change.UPDATE, T, Map.of("id", Integer.toString(id)), null, image(id, v));
    }

    private static RowChange delete(int id) {
        return new RowChange(Change.DELETE, T, Map.of("id", Integer.toString(id)), null, null);
    }
}
