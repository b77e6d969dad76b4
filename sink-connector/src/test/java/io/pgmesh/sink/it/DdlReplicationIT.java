package io.pgmesh.sink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.Mesh;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.postgres.PostgresNode;
import io.pgmesh.testkit.workload.InsertWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/** DDL run on one node reaches the other, in order with the rows around it, through Kafka. */
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DdlReplicationIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static ConnectCluster connect;
    private static Mesh mesh;

    @BeforeAll
    static void startMesh() {
        connect = ConnectCluster.start("ddl");
        mesh = Mesh.start(connect, List.of("n1", "n2"), List.of(
                "CREATE ROLE app",
                "GRANT CREATE ON SCHEMA public TO app",
                "CREATE TABLE items (id bigint PRIMARY KEY, payload text)"), c -> c, c -> c);
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
    void aColumnAddedWithADefaultWhileBothNodesWriteReachesThePeerAndEveryRowAgrees() {
        InsertWriter onN1 = InsertWriter.start(n1(), Mesh.DATABASE, "items", 1_000_000L);
        InsertWriter onN2 = InsertWriter.start(n2(), Mesh.DATABASE, "items", 2_000_000L);
        try {
            awaitRows(onN1, 200);
            awaitRows(onN2, 200);
            n1().execute(Mesh.DATABASE, "ALTER TABLE items ADD COLUMN tag text NOT NULL DEFAULT 'none'");
            Awaitility.await("the column on n2").atMost(WAIT).until(() -> !n2().query(Mesh.DATABASE,
                    "SELECT 1 FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'tag'").isEmpty());
            awaitRows(onN1, onN1.committedCount() + 200);
            awaitRows(onN2, onN2.committedCount() + 200);
            n1().execute(Mesh.DATABASE, "UPDATE items SET tag = 'set on n1' WHERE id BETWEEN 1000000 AND 1000049");
            n2().execute(Mesh.DATABASE, "UPDATE items SET tag = 'set on n2' WHERE id BETWEEN 2000000 AND 2000049");
            awaitRows(onN1, onN1.committedCount() + 100);
            awaitRows(onN2, onN2.committedCount() + 100);
        } finally {
            onN1.stop();
            onN2.stop();
        }
        mesh.awaitSynced(WAIT);
        long written = onN1.committedCount() + onN2.committedCount();
        for (PostgresNode node : List.of(n1(), n2())) {
            assertEquals(Long.toString(written), node.queryValue(Mesh.DATABASE, "SELECT count(*) FROM items"), node.name());
            assertEquals(List.of(List.of("none", Long.toString(written - 100)), List.of("set on n1", "50"),
                    List.of("set on n2", "50")), node.query(Mesh.DATABASE,
                    "SELECT tag, count(*) FROM items GROUP BY tag ORDER BY tag"), node.name());
        }
        assertEquals(mesh.digest("n1", "items"), mesh.digest("n2", "items"));
    }

    @Test
    @Order(2)
    void aTableCreatedOnN2ReachesN1WithItsRowsAndItsDropReplicatesToo() {
        n2().execute(Mesh.DATABASE, "CREATE TABLE fresh (id int PRIMARY KEY, v text)",
                "INSERT INTO fresh VALUES (1, 'a'), (2, 'b')");
        mesh.awaitSynced(WAIT);
        assertEquals(List.of(List.of("1", "a"), List.of("2", "b")),
                n1().query(Mesh.DATABASE, "SELECT id, v FROM fresh ORDER BY id"));

        n1().execute(Mesh.DATABASE, "UPDATE fresh SET v = 'changed on n1' WHERE id = 1");
        mesh.awaitSynced(WAIT);
        assertEquals("changed on n1", n2().queryValue(Mesh.DATABASE, "SELECT v FROM fresh WHERE id = 1"));

        n1().execute(Mesh.DATABASE, "DROP TABLE fresh");
        mesh.awaitSynced(WAIT);
        assertNull(n2().queryValue(Mesh.DATABASE, "SELECT to_regclass('public.fresh')"));
    }

    @Test
    @Order(3)
    void schemasTypesSequencesIndexesViewsAndFunctionsReplicateWithTheirSearchPathAndRole() throws SQLException {
        try (Connection c = n1().connect(Mesh.DATABASE); Statement s = c.createStatement()) {
            for (String sql : List.of(
                    "CREATE SCHEMA shop",
                    "SET search_path = shop, public",
                    "CREATE TYPE mood AS ENUM ('ok', 'sad')",
                    "CREATE SEQUENCE order_no START 100",
                    "CREATE TABLE orders (id bigint PRIMARY KEY DEFAULT nextval('order_no'), m mood, total numeric)",
                    "CREATE INDEX orders_total ON orders (total)",
                    "CREATE INDEX CONCURRENTLY orders_m ON orders (m)",
                    "CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100",
                    "CREATE FUNCTION order_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM shop.orders'",
                    "ALTER TABLE orders ADD COLUMN note text",
                    "INSERT INTO orders (m, total, note) VALUES ('ok', 150, 'first')",
                    "ALTER VIEW big_orders RENAME TO large_orders",
                    "DROP FUNCTION order_count()",
                    "GRANT USAGE ON SCHEMA shop TO app",
                    "SET ROLE app",
                    "CREATE TABLE public.app_owned (id int PRIMARY KEY)",
                    "RESET ROLE")) {
                s.execute(sql);
            }
        }
        mesh.awaitSynced(WAIT);
        assertEquals(List.of(List.of("100", "ok", "150", "first")),
                n2().query(Mesh.DATABASE, "SELECT id, m, total, note FROM shop.orders"));
        assertEquals(List.of(List.of("orders_m"), List.of("orders_pkey"), List.of("orders_total")), n2().query(
                Mesh.DATABASE, "SELECT indexname FROM pg_indexes WHERE schemaname = 'shop' ORDER BY 1"));
        assertEquals("shop.large_orders", n2().queryValue(Mesh.DATABASE, "SELECT to_regclass('shop.large_orders')"));
        assertNull(n2().queryValue(Mesh.DATABASE, "SELECT to_regclass('shop.big_orders')"));
        assertEquals("0", n2().queryValue(Mesh.DATABASE, "SELECT count(*) FROM pg_proc WHERE proname = 'order_count'"));
        assertEquals("shop.order_no", n2().queryValue(Mesh.DATABASE, "SELECT to_regclass('shop.order_no')"));
        assertEquals("app", n2().queryValue(Mesh.DATABASE,
                "SELECT tableowner FROM pg_tables WHERE tablename = 'app_owned'"));
        assertEquals("t", n2().queryValue(Mesh.DATABASE, "SELECT has_schema_privilege('app', 'shop', 'USAGE')"));
    }

    @Test
    @Order(4)
    void whatCannotReplicateSafelyStaysLocalWithANoticeAndReplicateDdlSendsItAnyway() throws SQLException {
        List<String> notices = new ArrayList<>();
        try (Connection c = n1().connect(Mesh.DATABASE); Statement s = c.createStatement()) {
            for (String sql : List.of("CREATE TEMP TABLE scratch (x int)",
                    "DO $$ BEGIN CREATE TABLE made_in_do (x int PRIMARY KEY); END $$",
                    "CREATE TABLE copied AS SELECT 1 AS x",
                    "SELECT pgmesh.replicate_ddl('CREATE TABLE sent_anyway (x int PRIMARY KEY)')")) {
                s.execute(sql);
                for (SQLWarning w = s.getWarnings(); w != null; w = w.getNextWarning()) {
                    notices.add(w.getMessage());
                }
                s.clearWarnings();
            }
        }
        assertTrue(notices.contains("pgmesh: CREATE TABLE not replicated: it is about a temporary object"), notices.toString());
        assertTrue(notices.stream().anyMatch(n -> n.startsWith("pgmesh: CREATE TABLE not replicated: it ran inside"
                + " another statement")), notices.toString());
        assertTrue(notices.stream().anyMatch(n -> n.startsWith("pgmesh: CREATE TABLE AS not replicated")), notices.toString());
        mesh.awaitSynced(WAIT);
        assertNull(n2().queryValue(Mesh.DATABASE, "SELECT to_regclass('public.made_in_do')"));
        assertNull(n2().queryValue(Mesh.DATABASE, "SELECT to_regclass('public.copied')"));
        assertEquals("sent_anyway", n2().queryValue(Mesh.DATABASE, "SELECT to_regclass('public.sent_anyway')"));
    }

    @Test
    @Order(5)
    void aDdlThatFailsOnThePeerStopsItsSinkShowingTheStatementAndApplyResumesAfterTheFix() {
        n2().execute(Mesh.DATABASE, "SET pgmesh.ddl_replication = off", "CREATE TABLE clash (id int PRIMARY KEY)");
        n1().execute(Mesh.DATABASE, "CREATE TABLE clash (id int PRIMARY KEY, v text)",
                "INSERT INTO clash VALUES (1, 'after the DDL')");
        String trace = connect.awaitTaskFailed("sink-n2", WAIT);
        assertTrue(trace.contains("CREATE TABLE clash (id int PRIMARY KEY, v text)")
                && trace.contains("relation \"clash\" already exists"), trace);
        n1().execute(Mesh.DATABASE, "UPDATE items SET payload = 'while n2 is stopped' WHERE id = 1000000");

        n2().execute(Mesh.DATABASE, "SET pgmesh.ddl_replication = off", "DROP TABLE clash");
        connect.restartFailed("sink-n2");
        mesh.awaitSynced(WAIT);
        assertEquals(List.of(List.of("1", "after the DDL")), n2().query(Mesh.DATABASE, "SELECT id, v FROM clash"));
        assertEquals("while n2 is stopped", n2().queryValue(Mesh.DATABASE,
                "SELECT payload FROM items WHERE id = 1000000"));
        assertEquals(Set.of("default"), Set.copyOf(n2().query(Mesh.DATABASE,
                "SELECT set_name FROM pgmesh.replicated_tables WHERE tablename = 'clash'").stream().map(r -> r.get(0)).toList()));
    }

    @Test
    @Order(6)
    void anOperatorCanLeaveAFailingTransactionOutAndReplicationGoesOn() {
        n2().execute(Mesh.DATABASE, "SET pgmesh.ddl_replication = off", "CREATE TABLE clash2 (id int PRIMARY KEY)");
        n1().execute(Mesh.DATABASE, "CREATE TABLE clash2 (id int PRIMARY KEY, v text)");
        String trace = connect.awaitTaskFailed("sink-n2", WAIT);
        java.util.regex.Matcher skip = java.util.regex.Pattern.compile("SELECT pgmesh\\.skip_transaction\\('n1', '([0-9A-F/]+)'\\)")
                .matcher(trace);
        assertTrue(skip.find(), trace);
        n1().execute(Mesh.DATABASE, "UPDATE items SET payload = 'after the skipped one' WHERE id = 1000000");

        n2().execute(Mesh.DATABASE, skip.group());
        connect.restartFailed("sink-n2");
        mesh.awaitSynced(WAIT);
        assertEquals("after the skipped one", n2().queryValue(Mesh.DATABASE,
                "SELECT payload FROM items WHERE id = 1000000"));
        assertEquals(List.of(List.of("id")), n2().query(Mesh.DATABASE,
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'clash2'"), "n2's own table kept");
    }

    private static void awaitRows(InsertWriter writer, int rows) {
        Awaitility.await("writer progress").atMost(WAIT).until(() -> writer.committedCount() >= rows);
    }
}
