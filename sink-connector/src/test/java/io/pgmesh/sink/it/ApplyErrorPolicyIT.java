package io.pgmesh.sink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.Mesh;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * apply.error.policy: n2 has a CHECK constraint n1 does not have, so some of n1's rows are
 * refused there. discard_row leaves out exactly the refused row, discard_transaction its whole
 * transaction; each change left out is in pgmesh.exceptions once, with its error, and the sink
 * goes on applying what follows; a restart neither applies nor records anything twice.
 */
@Timeout(400)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApplyErrorPolicyIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static ConnectCluster connect;
    private static Mesh mesh;
    private static PostgresNode n1;
    private static PostgresNode n2;

    @BeforeAll
    static void startMesh() {
        connect = ConnectCluster.start("policy");
        mesh = Mesh.start(connect, List.of("n1", "n2"), List.of("CREATE TABLE t (id int PRIMARY KEY, v int)"),
                (node, server) -> {
                    if (node.equals("n2")) {
                        server.execute(Mesh.DATABASE, "ALTER TABLE t ADD CONSTRAINT small CHECK (v < 100)");
                    }
                },
                c -> c, c -> {
                    Map<String, String> sink = new HashMap<>(c);
                    sink.put("apply.error.policy", "discard_row");
                    return sink;
                });
        n1 = mesh.server("n1");
        n2 = mesh.server("n2");
    }

    @AfterAll
    static void stopMesh() {
        Closeables.closeAll(mesh, connect);
    }

    @Test
    @Order(1)
    void discardRowLeavesOutOnlyTheRefusedRowAndRecordsIt() {
        n1.execute(Mesh.DATABASE, "BEGIN; INSERT INTO t VALUES (1, 1); INSERT INTO t VALUES (2, 200);"
                + " INSERT INTO t VALUES (3, 3); COMMIT", "INSERT INTO t VALUES (4, 4)");
        awaitRows("1,3,4");
        assertEquals("1", count("1=1"));
        assertEquals("insert|public.t|{\"id\": \"2\"}|200|discard_row|23514|n1", n2.queryValue(Mesh.DATABASE,
                "SELECT concat_ws('|', operation, table_schema || '.' || table_name, key::text, row_data->>'v', policy,"
                        + " sqlstate, origin) FROM pgmesh.exceptions"));
        assertTrue(n2.queryValue(Mesh.DATABASE, "SELECT error FROM pgmesh.exceptions").contains("small"));
        assertEquals("4", n1.queryValue(Mesh.DATABASE, "SELECT count(*) FROM t"), "n1 keeps its own rows");
        connect.assertNotFailed("sink-n2");
    }

    @Test
    @Order(2)
    void discardTransactionLeavesOutTheWholeTransactionAndRecordsEveryChange() throws Exception {
        setPolicy("discard_transaction");
        n1.execute(Mesh.DATABASE, "BEGIN; INSERT INTO t VALUES (10, 10); UPDATE t SET v = 11 WHERE id = 1;"
                + " INSERT INTO t VALUES (11, 300); INSERT INTO t VALUES (12, 12); COMMIT", "INSERT INTO t VALUES (13, 13)");
        awaitRows("1,3,4,13");
        assertEquals("1", n2.queryValue(Mesh.DATABASE, "SELECT v FROM t WHERE id = 1"), "the update was left out too");
        assertEquals("4", count("policy = 'discard_transaction'"));
        assertEquals("1", count("policy = 'discard_transaction' AND operation = 'update' AND key->>'id' = '1'"));
        assertEquals("1", n2.queryValue(Mesh.DATABASE, "SELECT count(DISTINCT (origin_lsn, failed_offset, sqlstate))"
                + " FROM pgmesh.exceptions WHERE policy = 'discard_transaction'"), "one failure, one transaction");
        connect.assertNotFailed("sink-n2");
    }

    @Test
    @Order(3)
    void aRestartedSinkNeitherAppliesNorRecordsAnythingTwice() {
        connect.restartConnectorAndTasks("sink-n2");
        connect.awaitRunning("sink-n2", 1, WAIT);
        n1.execute(Mesh.DATABASE, "INSERT INTO t VALUES (20, 20)");
        awaitRows("1,3,4,13,20");
        assertEquals("5", count("1=1"));
    }

    @Test
    @Order(4)
    void stopFailsTheTaskAndSkipTransactionLeavesTheTransactionOutRecorded() throws Exception {
        setPolicy("stop");
        n1.execute(Mesh.DATABASE, "INSERT INTO t VALUES (30, 400)");
        String trace = connect.awaitTaskFailed("sink-n2", WAIT);
        assertTrue(trace.contains("apply.error.policy") && trace.contains("pgmesh.skip_transaction('n1', '"), trace);
        String lsn = trace.replaceAll("(?s).*pgmesh\\.skip_transaction\\('n1', '([0-9A-F/]+)'\\).*", "$1");
        n2.execute(Mesh.DATABASE, "SELECT pgmesh.skip_transaction('n1', '" + lsn + "')");
        connect.restartFailed("sink-n2");
        n1.execute(Mesh.DATABASE, "INSERT INTO t VALUES (31, 31)");
        awaitRows("1,3,4,13,20,31");
        assertEquals("1", count("policy = 'skip_transaction' AND operation = 'transaction' AND origin_lsn = '" + lsn + "'"));
    }

    private static void setPolicy(String policy) throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, String> config = JSON.treeToValue(connect.get("connectors/sink-n2/config").body(), Map.class);
        config.put("apply.error.policy", policy);
        assertTrue(connect.putConnector("sink-n2", config).ok());
        Awaitility.await("sink-n2 reconfigured").atMost(WAIT).until(() -> policy.equals(JSON.treeToValue(
                connect.get("connectors/sink-n2/config").body(), Map.class).get("apply.error.policy")));
        connect.awaitRunning("sink-n2", 1, WAIT);
    }

    private static void awaitRows(String ids) {
        Awaitility.await("n2 has rows " + ids).atMost(WAIT).until(() -> ids.equals(n2.queryValue(Mesh.DATABASE,
                "SELECT string_agg(id::text, ',' ORDER BY id) FROM t")));
    }

    private static String count(String where) {
        return n2.queryValue(Mesh.DATABASE, "SELECT count(*) FROM pgmesh.exceptions WHERE " + where);
    }
}
