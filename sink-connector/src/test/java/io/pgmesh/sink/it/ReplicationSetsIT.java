package io.pgmesh.sink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.TableId;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.Mesh;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.connect.NodeTopic;
import io.pgmesh.testkit.connect.NodeTopic.Decoded;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Replication sets decide what goes where: each node puts its tables in sets, each sink subscribes
 * to sets by name. Here both sinks subscribe to every set but "audit".
 */
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicationSetsIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String SUBSCRIBED = "default,default_insert_only,ddl_sql,inserts_only,eu,public_profiles,"
            + "no_truncate,late_set";
    private static ConnectCluster connect;
    private static Mesh mesh;

    @BeforeAll
    static void startMesh() {
        connect = ConnectCluster.start("sets");
        mesh = Mesh.start(connect, List.of("n1", "n2"), List.of(
                "CREATE TABLE audit_log (id int PRIMARY KEY, what text)",
                "CREATE TABLE events (id int PRIMARY KEY, what text)",
                "CREATE TABLE customers (id int PRIMARY KEY, region text NOT NULL, name text)",
                "ALTER TABLE customers REPLICA IDENTITY FULL",
                "CREATE TABLE profiles (id int PRIMARY KEY, name text, secret text)",
                "CREATE TABLE kept (id int PRIMARY KEY)",
                "CREATE TABLE wiped (id int PRIMARY KEY)",
                "CREATE TABLE plain_log (line text)"), c -> c, c -> {
                    c.put("replication.sets", SUBSCRIBED);
                    return c;
                });
        int number = 1;
        for (String node : mesh.nodes()) {
            mesh.server(node).execute(Mesh.DATABASE,
                    "SELECT pgmesh.set_node_number(" + number++ + ")",
                    "SELECT pgmesh.repset_create('audit')",
                    "SELECT pgmesh.repset_remove_table('default', 'audit_log')",
                    "SELECT pgmesh.repset_add_table('audit', 'audit_log')",
                    "SELECT pgmesh.repset_create('inserts_only', replicate_update := false, replicate_delete := false,"
                            + " replicate_truncate := false)",
                    "SELECT pgmesh.repset_remove_table('default', 'events')",
                    "SELECT pgmesh.repset_add_table('inserts_only', 'events')",
                    "SELECT pgmesh.repset_create('eu')",
                    "SELECT pgmesh.repset_remove_table('default', 'customers')",
                    "SELECT pgmesh.repset_add_table('eu', 'customers', row_filter := 'region = ''eu''')",
                    "SELECT pgmesh.repset_create('public_profiles')",
                    "SELECT pgmesh.repset_remove_table('default', 'profiles')",
                    "SELECT pgmesh.repset_add_table('public_profiles', 'profiles', ARRAY['id', 'name'])",
                    "SELECT pgmesh.repset_create('no_truncate', replicate_truncate := false)",
                    "SELECT pgmesh.repset_remove_table('default', 'kept')",
                    "SELECT pgmesh.repset_add_table('no_truncate', 'kept')");
        }
        mesh.awaitSynced(WAIT);
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
    void aTableInASetTheSinkDoesNotSubscribeToNeverReachesIt() {
        n1().execute(Mesh.DATABASE, "INSERT INTO audit_log VALUES (1, 'n1 only')", "INSERT INTO wiped VALUES (1)");
        mesh.awaitSynced(WAIT);
        assertEquals("1", n2().queryValue(Mesh.DATABASE, "SELECT count(*) FROM wiped"));
        assertEquals("0", n2().queryValue(Mesh.DATABASE, "SELECT count(*) FROM audit_log"));
        List<Decoded> audit = changesOf("pgmesh.n1", "audit_log");
        assertEquals(1, audit.size(), "the change is in n1's topic: " + audit);
        assertEquals(Set.of("audit"), audit.get(0).headers().sets());
    }

    @Test
    @Order(2)
    void anInsertOnlySetCarriesInsertsAndNeitherUpdatesNorDeletes() {
        n1().execute(Mesh.DATABASE, "INSERT INTO events VALUES (1, 'a'), (2, 'b')");
        mesh.awaitSynced(WAIT);
        n1().execute(Mesh.DATABASE, "UPDATE events SET what = 'changed on n1' WHERE id = 1", "DELETE FROM events WHERE id = 2");
        mesh.awaitSynced(WAIT);
        assertEquals(List.of(List.of("1", "a"), List.of("2", "b")),
                n2().query(Mesh.DATABASE, "SELECT id, what FROM events ORDER BY id"));
        assertEquals(List.of(Operation.INSERT, Operation.INSERT),
                changesOf("pgmesh.n1", "events").stream().map(d -> d.headers().op()).toList());
    }

    @Test
    @Order(3)
    void aRowFilterCarriesOnlyMatchingRowsAndRowsMovingInOrOutOfIt() {
        n1().execute(Mesh.DATABASE, "INSERT INTO customers VALUES (1, 'eu', 'anna'), (2, 'us', 'bob'), (3, 'eu', 'cleo')");
        mesh.awaitSynced(WAIT);
        assertEquals(List.of(List.of("1", "eu", "anna"), List.of("3", "eu", "cleo")),
                n2().query(Mesh.DATABASE, "SELECT id, region, name FROM customers ORDER BY id"));

        n1().execute(Mesh.DATABASE, "UPDATE customers SET region = 'eu' WHERE id = 2",
                "UPDATE customers SET region = 'us' WHERE id = 1");
        mesh.awaitSynced(WAIT);
        assertEquals(List.of(List.of("2", "eu", "bob"), List.of("3", "eu", "cleo")),
                n2().query(Mesh.DATABASE, "SELECT id, region, name FROM customers ORDER BY id"));
    }

    @Test
    @Order(4)
    void aColumnListLeavesTheOtherColumnsOutBothWays() {
        n1().execute(Mesh.DATABASE, "INSERT INTO profiles VALUES (1, 'alice', 's3cret')");
        mesh.awaitSynced(WAIT);
        assertEquals(List.of(java.util.Arrays.asList("1", "alice", null)), n2().query(Mesh.DATABASE, "SELECT id, name, secret FROM profiles"));
        n2().execute(Mesh.DATABASE, "UPDATE profiles SET name = 'alice b', secret = 'n2 only' WHERE id = 1");
        mesh.awaitSynced(WAIT);
        assertEquals(List.of(List.of("1", "alice b", "s3cret")),
                n1().query(Mesh.DATABASE, "SELECT id, name, secret FROM profiles"));
        assertTrue(changesOf("pgmesh.n1", "profiles").toString().indexOf("s3cret") < 0, "the secret never left n1");
    }

    @Test
    @Order(5)
    void truncateFollowsItsSetsFlag() {
        n1().execute(Mesh.DATABASE, "INSERT INTO kept VALUES (1), (2)", "INSERT INTO wiped VALUES (2), (3)");
        mesh.awaitSynced(WAIT);
        n1().execute(Mesh.DATABASE, "TRUNCATE kept", "TRUNCATE wiped");
        mesh.awaitSynced(WAIT);
        assertEquals("2", n2().queryValue(Mesh.DATABASE, "SELECT count(*) FROM kept"));
        assertEquals("0", n2().queryValue(Mesh.DATABASE, "SELECT count(*) FROM wiped"));
    }

    @Test
    @Order(6)
    void aTableWithoutAKeyReplicatesItsInsertsAndIsRefusedFromSetsThatReplicateUpdatesOrDeletes() {
        n1().execute(Mesh.DATABASE, "INSERT INTO plain_log VALUES ('one'), ('two')");
        mesh.awaitSynced(WAIT);
        assertEquals(List.of(List.of("one"), List.of("two")),
                n2().query(Mesh.DATABASE, "SELECT line FROM plain_log ORDER BY line"));
        assertEquals(List.of(List.of("default_insert_only")), n1().query(Mesh.DATABASE,
                "SELECT set_name FROM pgmesh.replicated_tables WHERE tablename = 'plain_log'"));

        IllegalStateException intoDefault = assertThrows(IllegalStateException.class, () -> n1().execute(Mesh.DATABASE,
                "SELECT pgmesh.repset_add_table('no_truncate', 'plain_log')"));
        assertTrue(intoDefault.getMessage().contains("plain_log has no primary key or replica identity index, and"
                + " replication set \"no_truncate\" replicates updates or deletes"), intoDefault.getMessage());
        IllegalStateException alter = assertThrows(IllegalStateException.class, () -> n1().execute(Mesh.DATABASE,
                "SELECT pgmesh.repset_alter('default_insert_only', replicate_delete := true)"));
        assertTrue(alter.getMessage().contains("tables without a primary key or replica identity index are in it:"
                + " plain_log"), alter.getMessage());
        n1().execute(Mesh.DATABASE, "CREATE TABLE filtered (id int PRIMARY KEY, region text)",
                "SELECT pgmesh.repset_remove_table('default', 'filtered')");
        IllegalStateException filter = assertThrows(IllegalStateException.class, () -> n1().execute(Mesh.DATABASE,
                "SELECT pgmesh.repset_add_table('eu', 'filtered', row_filter := 'region = ''eu''')"));
        assertTrue(filter.getMessage().contains("its row filter uses columns outside its primary key or replica identity"),
                filter.getMessage());
    }

    @Test
    @Order(7)
    void twoNodesInsertingWithTheSnowflakeDefaultAtOnceNeverCollide() throws Exception {
        n1().execute(Mesh.DATABASE, "CREATE TABLE tickets (id bigint PRIMARY KEY DEFAULT pgmesh.snowflake_id(),"
                + " node text NOT NULL)");
        mesh.awaitSynced(WAIT);
        CyclicBarrier start = new CyclicBarrier(2);
        List<Thread> writers = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (String node : List.of("n1", "n2")) {
            Thread t = new Thread(() -> {
                try {
                    start.await();
                    for (int batch = 0; batch < 20; batch++) {
                        mesh.server(node).execute(Mesh.DATABASE,
                                "INSERT INTO tickets (node) SELECT '" + node + "' FROM generate_series(1, 250)");
                    }
                } catch (Exception | AssertionError e) {
                    failures.add(e);
                }
            });
            t.start();
            writers.add(t);
        }
        for (Thread t : writers) {
            t.join();
        }
        assertEquals(List.of(), failures);
        mesh.awaitSynced(WAIT);
        for (PostgresNode node : List.of(n1(), n2())) {
            assertEquals(List.of(List.of("n1", "5000", "1"), List.of("n2", "5000", "2")), node.query(Mesh.DATABASE,
                    "SELECT node, count(DISTINCT id), min((id >> 12) & 1023) FROM tickets GROUP BY node ORDER BY node"),
                    node.name());
            assertEquals("0", node.queryValue(Mesh.DATABASE,
                    "SELECT count(*) FROM pgmesh.conflicts WHERE table_name = 'tickets'"));
        }
        assertEquals(mesh.digest("n1", "tickets"), mesh.digest("n2", "tickets"));
    }

    /**
     * A set created while the source is paused, with a table moved into it, then the table's next
     * insert. Repeated {@code -Dpgmesh.stress.rounds} times (the set dropped and the table moved
     * back in between), as the timing of the source's stream restart against Connect's pause and
     * resume differs from round to round.
     */
    @Test
    @Order(8)
    void setsCreatedWhileTheSourceIsStoppedOrDroppedWhileItRunsKeepItsStreamGoing() {
        int rounds = Integer.getInteger("pgmesh.stress.rounds", 3);
        for (int round = 0; round < rounds; round++) {
            int first = 10 + 10 * round;
            connect.pauseConnector("src-n1", WAIT);
            n1().execute(Mesh.DATABASE, "INSERT INTO wiped VALUES (" + first + ")",
                    "SELECT pgmesh.repset_create('late_set')",
                    "SELECT pgmesh.repset_remove_table('default', 'wiped')",
                    "SELECT pgmesh.repset_add_table('late_set', 'wiped')",
                    "INSERT INTO wiped VALUES (" + (first + 1) + ")");
            connect.resumeConnector("src-n1", WAIT);
            mesh.awaitSynced(WAIT);
            assertEquals(List.of(List.of(Integer.toString(first)), List.of(Integer.toString(first + 1))),
                    n2().query(Mesh.DATABASE, "SELECT id FROM wiped WHERE id >= " + first + " ORDER BY id"),
                    "round " + round);
            assertEquals(Set.of("late_set"), changesOf("pgmesh.n1", "wiped").stream()
                    .filter(d -> d.headers().op() == Operation.INSERT).reduce((a, b) -> b).orElseThrow().headers().sets());
            if (round < rounds - 1) {
                n1().execute(Mesh.DATABASE, "SELECT pgmesh.repset_drop('late_set')",
                        "SELECT pgmesh.repset_add_table('default', 'wiped')");
            }
        }

        n1().execute(Mesh.DATABASE, "SELECT pgmesh.repset_drop('audit')", "INSERT INTO wiped VALUES (9999)");
        mesh.awaitSynced(WAIT);
        assertEquals("9999", n2().queryValue(Mesh.DATABASE, "SELECT max(id) FROM wiped"));
    }

    private static List<Decoded> changesOf(String topic, String table) {
        TableId id = new TableId("public", table);
        return NodeTopic.readAll(connect.bootstrapServers(), topic).stream()
                .filter(d -> d.key().table() != null && d.key().table().equals(id)).toList();
    }
}
