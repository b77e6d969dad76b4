package io.pgmesh.sink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.sink.PgmeshSinkConnector;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class PgmeshSinkConfigTest {

    private static Map<String, String> minimal() {
        Map<String, String> props = new HashMap<>();
        props.put("name", "sink-n1");
        props.put("node.name", "n1");
        props.put("topics", "pgmesh.n2, pgmesh.n3");
        props.put("database.host", "db");
        props.put("database.name", "app");
        props.put("database.user", "pgmesh");
        return props;
    }

    @Test
    void defaultsApplyEveryOwnerOriginOfTheDefaultSet() {
        PgmeshSinkConfig config = new PgmeshSinkConfig(minimal());
        assertEquals(List.of("pgmesh.n2", "pgmesh.n3"), config.topics());
        assertEquals("n2", config.peerOf("pgmesh.n2"));
        assertNull(config.peerOf("other.n2"));
        assertEquals(Set.of("default", "default_insert_only", "ddl_sql"), config.replicationSets());
        assertEquals(PgmeshSinkConfig.OriginFilter.TOPIC_OWNER, config.originFilter());
        assertEquals(Duration.ofDays(7), config.tombstoneRetention());
        assertEquals("sink-n1", config.connectorName());
        assertTrue(!config.synchronousCommit() && !config.logConflictRows());
    }

    @Test
    void itsOwnTopicForeignTopicsAndTopicPatternsAreRefused() {
        for (Map.Entry<String, String> bad : Map.of("topics", "pgmesh.n1,pgmesh.n2", "topics.regex", "pgmesh\\..*")
                .entrySet()) {
            Map<String, String> props = minimal();
            props.put(bad.getKey(), bad.getValue());
            ConfigException e = assertThrows(ConfigException.class, () -> new PgmeshSinkConfig(props));
            assertTrue(e.getMessage().contains(bad.getKey()), e.getMessage());
        }
        Map<String, String> foreign = minimal();
        foreign.put("topics", "orders");
        assertTrue(new PgmeshSinkConfig(foreign, false).crossFieldProblems().get("topics").contains("not a node topic"));
        Map<String, String> none = minimal();
        none.remove("topics");
        assertTrue(new PgmeshSinkConfig(none, false).crossFieldProblems().containsKey("topics"));
    }

    @Test
    void everyKeyIsValidatedAlone() {
        for (Map.Entry<String, String> bad : Map.of("node.name", "N1", "replication.sets", "a b",
                "origin.filter", "some", "tombstone.retention.ms", "10", "database.port", "-1").entrySet()) {
            Map<String, String> props = minimal();
            props.put(bad.getKey(), bad.getValue());
            assertThrows(ConfigException.class, () -> new PgmeshSinkConfig(props), bad.getKey());
        }
    }

    @Test
    void eachPeerTopicGetsATaskOfItsOwnUpToTasksMax() {
        PgmeshSinkConnector connector = new PgmeshSinkConnector();
        Map<String, String> props = minimal();
        props.put("topics", "pgmesh.n2,pgmesh.n3,pgmesh.n4");
        connector.start(props);
        assertEquals(List.of("pgmesh.n2", "pgmesh.n3", "pgmesh.n4"),
                connector.taskConfigs(8).stream().map(c -> c.get("topics")).toList());
        assertEquals(List.of("pgmesh.n2,pgmesh.n4", "pgmesh.n3"),
                connector.taskConfigs(2).stream().map(c -> c.get("topics")).toList());
    }
}
