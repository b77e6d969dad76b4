package io.pgmesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.Mesh;
import io.pgmesh.testkit.PgmeshConfigs;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.connect.NodeTopic;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes leave and join a running two-node mesh through pgmeshctl: n2 is wiped and reseeded from
 * n1's compacted topic while n1 keeps taking writes; then n3 joins while n1 and n2 take writes.
 * Every time, all nodes end identical and a write on any node reaches the others.
 */
@Timeout(900)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MembershipIT {

    private static final Duration WAIT = Duration.ofSeconds(240);
    private static final String DELETED_LONG_AGO = "424242";
    private static ConnectCluster connect;
    private static Mesh mesh;
    private static final List<Writer> writers = new ArrayList<>();

    @TempDir
    static Path files;

    /**
     * Compacts the node topics within seconds, so the reseed replays a topic compaction has cut
     * into (the updates that moved rows to other keys among what it dropped).
     */
    private static Map<String, String> compactingSource(Map<String, String> config) {
        config.put("topic.config.segment.ms", "2000");
        config.put("topic.config.min.cleanable.dirty.ratio", "0.01");
        config.put("topic.config.min.compaction.lag.ms", "0");
        return config;
    }

    @BeforeAll
    static void startMesh() {
        connect = ConnectCluster.start("membership");
        mesh = Mesh.start(connect, List.of("n1", "n2"), List.of(), MembershipIT::compactingSource, c -> c);
        // the application's table is created by replicated DDL, so that it is in the topics too
        mesh.server("n1").execute(Mesh.DATABASE, "CREATE TABLE items (id bigint PRIMARY KEY, val text, n int NOT NULL)");
        mesh.server("n1").execute(Mesh.DATABASE,
                "INSERT INTO items SELECT g, 'hot', 0 FROM generate_series(1, 10) AS g",
                "INSERT INTO items VALUES (" + DELETED_LONG_AGO + ", 'deleted long ago', 0)");
        mesh.awaitSynced(WAIT);
        mesh.server("n1").execute(Mesh.DATABASE, "DELETE FROM items WHERE id = " + DELETED_LONG_AGO);
        // rows moved to another key whose record compaction then drops (the new key is changed or
        // deleted again): only the old key's tombstone keeps a reseed from bringing them back
        mesh.server("n1").execute(Mesh.DATABASE, "UPDATE items SET id = 80000008 WHERE id = 8",
                "UPDATE items SET val = 'moved, then changed' WHERE id = 80000008",
                "UPDATE items SET id = 80000009 WHERE id = 9", "DELETE FROM items WHERE id = 80000009");
        mesh.awaitSynced(WAIT);
        // as if the delete were older than tombstone.retention.ms: every node has forgotten it
        for (String node : mesh.nodes()) {
            mesh.server(node).execute(Mesh.DATABASE, "DELETE FROM pgmesh.tombstones");
        }
    }

    @AfterAll
    static void stopMesh() throws InterruptedException {
        for (Writer w : writers) {
            w.stopQuietly();
        }
        Closeables.closeAll(mesh, connect);
    }

    @Test
    @Order(1)
    void aWipedNodeIsReseededFromItsPeersCompactedTopicWhileThePeerTakesWrites() throws Exception {
        Writer n1 = writer("n1", 1_000_000);
        Writer n2 = writer("n2", 2_000_000);
        Thread.sleep(3000);
        n2.stop();
        // n2 is lost: its connectors stop, its slot and database are dropped, an empty one is made
        for (String c : List.of("sink-n2", "src-n2")) {
            connect.stopConnector(c, WAIT);
        }
        PostgresNode server = mesh.server("n2");
        Awaitility.await("n2's slot dropped").atMost(WAIT).ignoreExceptions().until(() -> {
            server.execute("postgres", "SELECT pg_drop_replication_slot('pgmesh_n2')");
            return true;
        });
        server.execute("postgres", "DROP DATABASE " + Mesh.DATABASE + " WITH (FORCE)", "CREATE DATABASE " + Mesh.DATABASE);
        mesh.createSyncTable("n2");
        awaitCompacted("pgmesh.n1");

        CommandResult result = pgmeshctl("reseed", "--node", "n2", "--seed-from", "n1");
        assertEquals(0, result.status(), result.output());
        assertTrue(result.output().contains("Node n2 reseeded"), result.output());

        Writer again = writer("n2", 3_000_000);
        Thread.sleep(3000);
        n1.stop();
        again.stop();
        mesh.awaitSynced(WAIT);
        assertIdentical();
        assertEquals("0", server.queryValue(Mesh.DATABASE, "SELECT count(*) FROM items WHERE id = " + DELETED_LONG_AGO),
                "a row deleted long ago came back");
        assertEquals("0", server.queryValue(Mesh.DATABASE, "SELECT count(*) FROM items WHERE id IN (8, 9)"),
                "a row moved to another key came back");
        assertTrue(Integer.parseInt(mesh.server("n1").queryValue(Mesh.DATABASE,
                "SELECT count(*) FROM items WHERE id >= 3000000")) > 0, "n2's new writes reached n1");
    }

    @Test
    @Order(2)
    void aThirdNodeJoinsWhileBothNodesTakeWrites() throws Exception {
        PostgresNode n3 = PostgresNode.start("n3");
        n3.createDatabase(Mesh.DATABASE);
        mesh.adopt("n3", n3);
        Writer n1 = writer("n1", 4_000_000);
        Writer n2 = writer("n2", 5_000_000);
        Path source = connectorFile("src-n3", compactingSource(new java.util.HashMap<>(
                PgmeshConfigs.source(n3, Mesh.DATABASE, "n3", connect.bootstrapServers()))));
        Path sink = connectorFile("sink-n3", PgmeshConfigs.sink(n3, Mesh.DATABASE, "n3", List.of()));

        CommandResult result = pgmeshctl("add-node", "--node", "n3", "--source-config", source.toString(),
                "--sink-config", sink.toString(), "--seed-from", "n1");
        assertEquals(0, result.status(), result.output());
        assertTrue(result.output().contains("Node n3 joined"), result.output());

        Writer n3writer = writer("n3", 6_000_000);
        Thread.sleep(3000);
        n1.stop();
        n2.stop();
        n3writer.stop();
        mesh.awaitSynced(WAIT);
        assertIdentical();
        for (String node : List.of("n1", "n2")) {
            assertTrue(Integer.parseInt(mesh.server(node).queryValue(Mesh.DATABASE,
                    "SELECT count(*) FROM items WHERE id >= 6000000")) > 0, "n3's writes reached " + node);
        }
        assertEquals("0", n3.queryValue(Mesh.DATABASE, "SELECT count(*) FROM items WHERE id = " + DELETED_LONG_AGO));
    }

    @Test
    @Order(3)
    void anAddNodeThatStopsOnAFailedTaskSaysSoAtOnceAndRunsOnWhenRunAgain() throws Exception {
        // a table whose creation is in no topic (DDL replication off): every node, the new one too,
        // must have it made by hand, as docs/operations.md says
        for (String node : mesh.nodes()) {
            mesh.server(node).execute(Mesh.DATABASE, "SET pgmesh.ddl_replication = off",
                    "CREATE TABLE handmade (id int PRIMARY KEY, v text)", "SELECT pgmesh.repset_add_table('default', 'handmade')");
        }
        mesh.server("n1").execute(Mesh.DATABASE, "INSERT INTO handmade SELECT g, 'row ' || g FROM generate_series(1, 50) AS g");
        mesh.awaitSynced(WAIT);
        PostgresNode n4 = PostgresNode.start("n4");
        n4.createDatabase(Mesh.DATABASE);
        mesh.adopt("n4", n4);
        Writer n1 = writer("n1", 7_000_000);
        Map<String, String> sinkConfig = new java.util.HashMap<>(PgmeshConfigs.sink(n4, Mesh.DATABASE, "n4", List.of()));
        sinkConfig.put("retry.timeout.ms", "5000");
        Path source = connectorFile("src-n4", compactingSource(new java.util.HashMap<>(
                PgmeshConfigs.source(n4, Mesh.DATABASE, "n4", connect.bootstrapServers()))));
        Path sink = connectorFile("sink-n4", sinkConfig);
        String[] addNode = {"add-node", "--node", "n4", "--source-config", source.toString(), "--sink-config",
                sink.toString(), "--seed-from", "n1"};

        long started = System.nanoTime();
        CommandResult failed = pgmeshctl(addNode);
        assertEquals(1, failed.status(), failed.output());
        assertTrue(failed.output().contains("task 0 of sink-n4 FAILED") && failed.output().contains("\"handmade\" does not"
                + " exist on node n4") && failed.output().contains("\tat "), "the failure and its trace: " + failed.output());
        assertTrue(System.nanoTime() - started < Duration.ofMinutes(3).toNanos(), "reported once the task FAILED, not"
                + " after pgmeshctl's timeout");

        n4.execute(Mesh.DATABASE, "SET pgmesh.ddl_replication = off", "CREATE TABLE handmade (id int PRIMARY KEY, v text)",
                "SELECT pgmesh.repset_add_table('default', 'handmade')");
        CommandResult resumed = pgmeshctl(addNode);
        assertEquals(0, resumed.status(), resumed.output());
        assertTrue(resumed.output().contains("resuming it") && resumed.output().contains("Node n4 joined"), resumed.output());
        n4.execute(Mesh.DATABASE, "INSERT INTO handmade VALUES (1000, 'from n4')");
        n1.stop();
        mesh.awaitSynced(WAIT);
        assertIdentical();
        Map<String, String> handmade = mesh.digests("handmade");
        assertEquals(1, handmade.values().stream().distinct().count(), "handmade differs: " + handmade);
        assertEquals("51", mesh.server("n2").queryValue(Mesh.DATABASE, "SELECT count(*) FROM handmade"));
        CommandResult again = pgmeshctl(addNode);
        assertEquals(1, again.status(), again.output());
        assertTrue(again.output().contains("is in the mesh already"), again.output());
    }

    private static void assertIdentical() {
        Map<String, String> digests = mesh.digests("items");
        assertEquals(1, digests.values().stream().distinct().count(), "nodes differ: " + digests);
    }

    /**
     * Waits until the broker's cleaner has compacted the topic: the first insert of hot row 1,
     * rewritten by every later update, is gone (and with it parts of the transactions it was in).
     */
    private static void awaitCompacted(String topic) {
        Awaitility.await(topic + " compacted").atMost(WAIT).pollInterval(Duration.ofSeconds(2)).until(() ->
                NodeTopic.readAll(connect.bootstrapServers(), topic).stream().noneMatch(d -> d.key().columns() != null
                        && d.key().table().table().equals("items") && (d.headers().op() == Operation.INSERT
                        && d.key().columns().get(0).value().equals("1")
                        || d.value() instanceof io.pgmesh.common.envelope.RowImage image && image.oldKey() != null)));
    }

    private static Path connectorFile(String name, Map<String, String> config) throws Exception {
        Path file = files.resolve(name + ".json");
        Files.writeString(file, new ObjectMapper().writeValueAsString(Map.of("name", name, "config", config)));
        return file;
    }

    private record CommandResult(int status, String output) {
    }

    private static CommandResult pgmeshctl(String... args) {
        List<String> all = new ArrayList<>(List.of(args[0], "--connect", connect.restUrl(), "--timeout", "5"));
        all.addAll(List.of(args).subList(1, args.length));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        int status = Pgmeshctl.run(all.toArray(String[]::new), print, print);
        String output = out.toString(StandardCharsets.UTF_8);
        System.out.println(output);
        return new CommandResult(status, output);
    }

    private static Writer writer(String node, long firstId) {
        Writer w = new Writer(mesh.server(node), firstId);
        writers.add(w);
        w.thread.start();
        return w;
    }

    /**
     * Application writes on one node: each transaction inserts a row of its own, then updates a
     * hot row (rows 1 to 10, which every node writes), and now and then deletes one of its own. A
     * later update of the same hot row makes compaction drop the transaction's last record.
     */
    private static final class Writer {
        private final PostgresNode server;
        private final long firstId;
        private final AtomicBoolean stopped = new AtomicBoolean();
        private final AtomicInteger committed = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread = new Thread(this::run, "writer");

        Writer(PostgresNode server, long firstId) {
            this.server = server;
            this.firstId = firstId;
        }

        private void run() {
            try (Connection c = server.connect(Mesh.DATABASE)) {
                c.setAutoCommit(false);
                try (PreparedStatement hot = c.prepareStatement("UPDATE items SET n = n + 1, val = ? WHERE id = ?");
                     PreparedStatement insert = c.prepareStatement("INSERT INTO items VALUES (?, ?, 0)");
                     PreparedStatement delete = c.prepareStatement("DELETE FROM items WHERE id = ?")) {
                    long next = firstId;
                    while (!stopped.get()) {
                        ThreadLocalRandom random = ThreadLocalRandom.current();
                        insert.setLong(1, next);
                        insert.setString(2, "row " + next);
                        insert.executeUpdate();
                        hot.setString(1, server.name() + "-" + next);
                        hot.setLong(2, 1 + random.nextInt(10));
                        hot.executeUpdate();
                        if (next > firstId + 5 && random.nextInt(4) == 0) {
                            delete.setLong(1, firstId + random.nextLong(next - firstId));
                            delete.executeUpdate();
                        }
                        c.commit();
                        next++;
                        committed.incrementAndGet();
                        Thread.sleep(5);
                    }
                }
            } catch (Exception e) {
                failure.set(e);
            }
        }

        void stop() throws InterruptedException {
            stopQuietly();
            if (failure.get() != null) {
                throw new AssertionError("the writer on " + server.name() + " failed", failure.get());
            }
            assertTrue(committed.get() > 0, "the writer on " + server.name() + " committed nothing");
        }

        void stopQuietly() throws InterruptedException {
            stopped.set(true);
            thread.join(30_000);
        }
    }
}
