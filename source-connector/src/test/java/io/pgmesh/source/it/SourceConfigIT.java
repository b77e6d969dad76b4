package io.pgmesh.source.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgmesh.common.schema.NodeSchema;
import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.PgmeshConfigs;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad configuration is refused with an error on the key to fix, or fails the task with a message
 * that says what to fix; never a RUNNING connector that does nothing.
 */
@Timeout(300)
class SourceConfigIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static PostgresNode server;
    private static ConnectCluster connect;

    @BeforeAll
    static void startServers() {
        server = PostgresNode.start("config");
        server.createDatabase("app");
        connect = ConnectCluster.start("config");
    }

    @AfterAll
    static void stopServers() {
        Closeables.closeAll(connect, server);
    }

    private static Map<String, String> valid() {
        return new HashMap<>(PgmeshConfigs.source(server, "app", "n1", connect.bootstrapServers()));
    }

    @Test
    void aMissingRequiredKeyIsRefusedNamingTheKey() {
        Map<String, String> config = valid();
        config.remove("node.name");
        assertEquals(List.of("Missing required configuration \"node.name\" which has no default value."),
                errors(validate(config), "node.name"));
        ConnectCluster.Response put = connect.putConnector("missing-node", config);
        assertEquals(400, put.status());
        assertTrue(put.text().contains("node.name"), put.text());
        assertEquals(404, connect.get("connectors/missing-node").status());
    }

    @Test
    void malformedValuesAreRefusedOnTheirKeys() {
        Map<String, String> config = valid();
        config.put("slot.name", "Bad-Slot!");
        config.put("node.name", "N 1");
        config.put("replication.sets", "default,Audit Log");
        config.put("database.port", "70000");
        config.put("database.sslmode", "sometimes");
        JsonNode result = validate(config);
        assertTrue(errors(result, "slot.name").get(0).contains("1 to 63 characters of [a-z0-9_]"));
        assertTrue(errors(result, "node.name").get(0).contains("lower-case letters, digits and '_'"));
        assertTrue(errors(result, "replication.sets").get(0).contains("'Audit Log'"));
        assertFalse(errors(result, "database.port").isEmpty());
        assertFalse(errors(result, "database.sslmode").isEmpty());
    }

    @Test
    void aNodeTopicWithMoreThanOnePartitionIsRefused() {
        Map<String, String> config = valid();
        config.put("topic.creation.default.partitions", "3");
        assertTrue(errors(validate(config), "topic.creation.default.partitions").get(0).contains("exactly one partition"));
    }

    @Test
    void theSourceCreatesItsTopicCompactedWithOnePartitionAndRefusesATopicThatDeletes() throws Exception {
        server.createDatabase("topics");
        Map<String, String> created = new HashMap<>(PgmeshConfigs.source(server, "topics", "made",
                connect.bootstrapServers()));
        created.put("topic.config.segment.bytes", "1048576");
        connect.createConnector("src-made", created);
        connect.awaitRunning("src-made", 1, WAIT);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", connect.bootstrapServers()))) {
            assertEquals(1, admin.describeTopics(List.of("pgmesh.made")).allTopicNames().get().get("pgmesh.made")
                    .partitions().size());
            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "pgmesh.made");
            Config config = admin.describeConfigs(List.of(topic)).all().get().get(topic);
            assertEquals("compact", config.get("cleanup.policy").value());
            assertEquals("604800000", config.get("delete.retention.ms").value());
            assertEquals("86400000", config.get("min.compaction.lag.ms").value());
            assertEquals("1048576", config.get("segment.bytes").value());
        }
        connect.deleteConnector("src-made");

        server.createDatabase("deleting");
        connect.kafka().createTopic("pgmesh.deleting", 1, 1, Map.of("cleanup.policy", "delete"));
        connect.createConnector("src-deleting", PgmeshConfigs.source(server, "deleting", "deleting",
                connect.bootstrapServers()));
        String[] trace = new String[1];
        Awaitility.await("src-deleting failed").atMost(WAIT).until(() -> {
            var status = connect.status("src-deleting");
            trace[0] = status == null ? null : status.path("connector").path("trace").asText();
            return status != null && "FAILED".equals(status.path("connector").path("state").asText());
        });
        assertTrue(trace[0].contains("cleanup.policy=delete; a node topic must be compacted only"), trace[0]);
        assertTrue(trace[0].contains("--add-config cleanup.policy=compact"), trace[0]);
        connect.deleteConnector("src-deleting");
    }

    @Test
    void aWrongPasswordIsRefusedOnThePasswordKeyWithoutShowingIt() {
        Map<String, String> config = valid();
        config.put("database.password", "not-the-password-0451");
        JsonNode result = validate(config);
        String error = errors(result, "database.password").get(0);
        assertTrue(error.contains("authentication failed"), error);
        assertFalse(result.toString().contains("not-the-password-0451"), "the password leaked into the response");
        assertEquals(400, connect.putConnector("wrong-password", config).status());
    }

    @Test
    void unreachableServersAndMissingDatabasesAreRefusedOnTheirKeys() {
        Map<String, String> closedPort = valid();
        closedPort.put("database.port", "1");
        assertTrue(errors(validate(closedPort), "database.host").get(0).contains("cannot connect"));
        Map<String, String> noDatabase = valid();
        noDatabase.put("database.name", "no_such_db");
        assertTrue(errors(validate(noDatabase), "database.name").get(0).contains("does not exist"));
    }

    @Test
    void aServerWithoutLogicalWalOrCommitTimestampsIsRefusedSayingHowToFixIt() {
        try (PostgresNode replicaWal = PostgresNode.builder("replica-wal").setting("wal_level", "replica")
                .setting("track_commit_timestamp", "off").start()) {
            Map<String, String> config = PgmeshConfigs.source(replicaWal, "postgres", "n9", connect.bootstrapServers());
            List<String> hostErrors = errors(validate(config), "database.host");
            assertEquals(2, hostErrors.size(), hostErrors.toString());
            assertTrue(hostErrors.get(0).contains("wal_level is 'replica'")
                    && hostErrors.get(0).contains("ALTER SYSTEM SET wal_level = logical"), hostErrors.get(0));
            assertTrue(hostErrors.get(1).contains("track_commit_timestamp is off"), hostErrors.get(1));
            ConnectCluster.Response put = connect.putConnector("replica-wal", config);
            assertEquals(400, put.status());
            assertTrue(put.text().contains("wal_level"), put.text());
        }
    }

    @Test
    void aRoleWithoutReplicationIsRefusedOnTheUserKey() {
        server.execute("app", "CREATE ROLE plain LOGIN PASSWORD 'plain-pw'");
        Map<String, String> config = valid();
        config.put("database.user", "plain");
        config.put("database.password", "plain-pw");
        JsonNode result = validate(config);
        List<String> userErrors = errors(result, "database.user");
        assertEquals(2, userErrors.size(), userErrors.toString());
        assertTrue(userErrors.get(0).contains("ALTER ROLE \"plain\" REPLICATION"), userErrors.get(0));
        assertTrue(userErrors.get(1).contains("schema pgmesh is missing") && userErrors.get(1).contains("superuser"),
                userErrors.get(1));
    }

    @Test
    void setsThatDoNotExistAreRefusedOnTheirKey() {
        Map<String, String> config = valid();
        config.put("replication.sets", "default,audit,ops");
        List<String> setErrors = errors(validate(config), "replication.sets");
        assertEquals(1, setErrors.size(), setErrors.toString());
        assertTrue(setErrors.get(0).contains("audit, ops do not exist")
                && setErrors.get(0).contains("pgmesh.repset_create"), setErrors.get(0));
    }

    @Test
    void aTaskThatCanNoLongerAuthenticateFailsSayingWhatToFix() {
        server.createDatabase("auth");
        server.execute("auth", "CREATE ROLE streamer LOGIN REPLICATION PASSWORD 'first-pw'",
                NodeSchema.script(), "INSERT INTO pgmesh.node (name) VALUES ('auth')");
        Map<String, String> config = new HashMap<>(PgmeshConfigs.source(server, "auth", "auth", connect.bootstrapServers()));
        config.put("database.user", "streamer");
        config.put("database.password", "first-pw");
        connect.createConnector("src-auth", config);
        connect.awaitRunning("src-auth", 1, WAIT);

        server.execute("auth", "ALTER ROLE streamer PASSWORD 'second-pw'",
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'streamer'");
        String trace = connect.awaitTaskFailed("src-auth", WAIT);
        assertTrue(trace.contains("check database.user and database.password"), trace);
        assertFalse(trace.contains("first-pw"), "the password leaked into the task trace");
        connect.deleteConnector("src-auth");
    }

    private static JsonNode validate(Map<String, String> config) {
        ConnectCluster.Response r = connect.validate(PgmeshConfigs.SOURCE_CLASS, config);
        assertEquals(200, r.status(), r.text());
        return r.body();
    }

    private static List<String> errors(JsonNode validation, String key) {
        List<String> errors = new ArrayList<>();
        for (JsonNode config : validation.path("configs")) {
            if (key.equals(config.path("value").path("name").asText())) {
                config.path("value").path("errors").forEach(e -> errors.add(e.asText()));
            }
        }
        return errors;
    }
}
