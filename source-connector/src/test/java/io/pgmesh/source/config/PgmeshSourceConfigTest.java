package io.pgmesh.source.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class PgmeshSourceConfigTest {

    private static Map<String, String> minimal() {
        Map<String, String> props = new HashMap<>();
        props.put("node.name", "n1");
        props.put("kafka.bootstrap.servers", "localhost:9092");
        props.put("database.host", "db.example");
        props.put("database.name", "app");
        props.put("database.user", "pgmesh");
        return props;
    }

    @Test
    void defaultsDeriveTopicSlotAndPublicationFromTheNode() {
        PgmeshSourceConfig config = new PgmeshSourceConfig(minimal());
        assertEquals("pgmesh.n1", config.topic());
        assertEquals("pgmesh_n1", config.slotName());
        assertEquals(Set.of(), config.replicationSets(), "every set");
        assertEquals(5432, config.database().port());
        assertEquals("prefer", config.database().sslMode());
        assertEquals(Duration.ofSeconds(10), config.heartbeatInterval());
        assertEquals(Set.of("pgmesh.ddl"), config.messagePrefixes());
    }

    @Test
    void explicitValuesWin() {
        Map<String, String> props = minimal();
        props.put("slot.name", "custom_slot");
        props.put("topic.prefix", "mesh-prod");
        props.put("replication.sets", "default, audit");
        PgmeshSourceConfig config = new PgmeshSourceConfig(props);
        assertEquals("custom_slot", config.slotName());
        assertEquals("mesh-prod.n1", config.topic());
        assertEquals(Set.of("audit", "default"), config.replicationSets());
    }

    @Test
    void everyKeyIsValidatedAlone() {
        for (Map.Entry<String, String> bad : Map.of("node.name", "N1", "slot.name", "slot-1", "database.port", "0",
                "replication.sets", "default,Audit", "heartbeat.interval.ms", "-1",
                "topic.prefix", "bad prefix", "database.sslmode", "on").entrySet()) {
            Map<String, String> props = minimal();
            props.put(bad.getKey(), bad.getValue());
            ConfigException e = assertThrows(ConfigException.class, () -> new PgmeshSourceConfig(props), bad.getKey());
            assertTrue(e.getMessage().contains(bad.getKey()), e.getMessage());
        }
    }

    @Test
    void keysAreCheckedTogether() {
        Map<String, String> props = minimal();
        props.put("retry.backoff.ms", "5000");
        props.put("retry.backoff.max.ms", "1000");
        assertTrue(assertThrows(ConfigException.class, () -> new PgmeshSourceConfig(props)).getMessage()
                .contains("retry.backoff.max.ms"));
        Map<String, String> partitions = minimal();
        partitions.put("topic.creation.default.partitions", "2");
        assertEquals(Set.of("topic.creation.default.partitions"),
                new PgmeshSourceConfig(partitions, false).crossFieldProblems().keySet());
    }

    @Test
    void thePasswordIsNeverPrinted() {
        Map<String, String> props = minimal();
        props.put("database.password", "s3cret-value");
        PgmeshSourceConfig config = new PgmeshSourceConfig(props);
        assertEquals("s3cret-value", config.database().password().value());
        assertTrue(!config.toString().contains("s3cret-value") && !config.values().toString().contains("s3cret-value")
                && !config.database().toString().contains("s3cret-value"));
    }
}
