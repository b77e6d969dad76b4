package io.pgmesh.source.topic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeTopicPolicyTest {

    @Test
    void aNodeTopicIsCreatedCompactedWithTheUsersOverridesOnTop() {
        NodeTopicPolicy policy = NodeTopicPolicy.of("pgmesh.n1", (short) 3, Map.of("segment.bytes", "1048576",
                "min.compaction.lag.ms", "0"));
        assertEquals("compact", policy.configs().get("cleanup.policy"));
        assertEquals("604800000", policy.configs().get("delete.retention.ms"));
        assertEquals("0", policy.configs().get("min.compaction.lag.ms"));
        assertEquals("1048576", policy.configs().get("segment.bytes"));
        assertEquals(3, policy.replicationFactor());
    }

    @Test
    void theCleanupPolicyCannotBeOverridden() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NodeTopicPolicy.of("pgmesh.n1", (short) -1, Map.of("cleanup.policy", "compact,delete")));
        assertTrue(e.getMessage().contains("must be compacted"), e.getMessage());
        NodeTopicPolicy.of("pgmesh.n1", (short) -1, Map.of("cleanup.policy", "compact"));
    }

    @Test
    void anExistingTopicMustHaveOnePartitionAndCompactionOnly() {
        NodeTopicPolicy policy = NodeTopicPolicy.of("pgmesh.n1", (short) -1, Map.of());
        assertEquals(List.of(), policy.problems(1, "compact"));
        List<String> deleting = policy.problems(1, "delete");
        assertEquals(1, deleting.size());
        assertTrue(deleting.get(0).contains("--add-config cleanup.policy=compact"), deleting.get(0));
        assertEquals(1, policy.problems(1, "compact,delete").size(), "time-based deletion loses rows a reseed needs");
        assertEquals(1, policy.problems(1, null).size());
        List<String> both = policy.problems(3, "delete");
        assertEquals(2, both.size());
        assertTrue(both.get(0).contains("3 partitions"), both.get(0));
    }
}
