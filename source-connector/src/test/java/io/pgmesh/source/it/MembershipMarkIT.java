package io.pgmesh.source.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.TableId;
import io.pgmesh.common.schema.NodeSchema;
import io.pgmesh.source.capture.SetMembership;
import io.pgmesh.source.database.CatalogQueries;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The source marks a membership change decoded even when the stream delivers its transaction
 * before the transaction is visible to other sessions (the stream sends a transaction once its
 * commit record is in the WAL, a moment before the committing backend leaves the proc array). A
 * mark that found no row left the entry undecoded for ever, and every later change of the table
 * was tagged with no set: a table added to a set on a node (MembershipIT's add-node) never
 * replicated from it.
 */
@Timeout(120)
class MembershipMarkIT {

    private static final String DB = "marks";
    private static PostgresNode server;

    @BeforeAll
    static void start() throws Exception {
        server = PostgresNode.start("marks");
        server.createDatabase(DB);
        try (Connection c = server.connect(DB)) {
            NodeSchema.bootstrap(c, new NodeName("m1"));
        }
        server.execute(DB, "SET pgmesh.ddl_replication = off", "CREATE TABLE added (id int PRIMARY KEY)");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aChangeDecodedBeforeItsTransactionIsVisibleIsMarkedOnceItIs() throws Exception {
        long relid = Long.parseLong(server.queryValue(DB, "SELECT 'added'::regclass::oid"));
        Lsn commit = Lsn.parse(server.queryValue(DB, "SELECT pg_current_wal_lsn()"));
        try (Connection writer = server.connect(DB); Connection control = server.connect(DB)) {
            writer.setAutoCommit(false);
            long entry;
            long xid;
            try (Statement s = writer.createStatement()) {
                s.execute("SELECT pgmesh.change_membership('pgmesh_default', 'added'::regclass, true)");
                try (ResultSet rs = s.executeQuery("SELECT max(id) FROM pgmesh.set_membership_log")) {
                    rs.next();
                    entry = rs.getLong(1);
                }
                try (ResultSet rs = s.executeQuery("SELECT pg_current_xact_id()::text::bigint % 4294967296")) {
                    rs.next();
                    xid = rs.getLong(1);
                }
            }
            CatalogQueries catalog = new CatalogQueries(control, Map.of("pgmesh_default", "default"));
            long started = System.nanoTime();
            CompletableFuture<Long> marked = CompletableFuture.supplyAsync(() -> {
                try {
                    catalog.membershipDecoded(entry, (int) relid, xid, commit);
                    return System.nanoTime();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(500);
            long committed = System.nanoTime();
            writer.commit();
            long done = marked.get(30, TimeUnit.SECONDS);
            assertTrue(done > committed, "the mark waited for the entry's transaction ("
                    + TimeUnit.NANOSECONDS.toMillis(done - started) + " ms)");
            assertEquals(commit.toString(), server.queryValue(DB,
                    "SELECT commit_lsn FROM pgmesh.set_membership_log WHERE id = " + entry));
            List<SetMembership> sets = catalog.memberships((int) relid, new TableId("public", "added"),
                    Lsn.parse(server.queryValue(DB, "SELECT pg_current_wal_lsn()")));
            assertEquals(List.of("default"), sets.stream().map(SetMembership::set).toList(),
                    "a later change of the table is tagged with the set it joined");
        }
    }
}
