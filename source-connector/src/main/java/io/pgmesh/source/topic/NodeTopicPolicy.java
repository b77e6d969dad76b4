package io.pgmesh.source.topic;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a node topic must be, and what is wrong with an existing one.
 *
 * <p>A node's topic is the node's image: compaction keeps the latest record of every row key
 * (deleted rows keep their delete record), every DDL statement, truncate and message (each has a
 * unique key) and the newest heartbeat. Time- or size-based deletion would lose rows a reseed
 * needs; more than one partition would lose the commit order.
 */
public record NodeTopicPolicy(String topic, short replicationFactor, Map<String, String> configs) {

    /** Topic settings pgmesh creates a node topic with, before the user's {@code topic.config.*} overrides. */
    public static final Map<String, String> DEFAULT_CONFIGS = Map.of(
            "cleanup.policy", "compact",
            // Kafka tombstones (null values) are kept a week before compaction removes them, like the
            // sink's own tombstone retention
            "delete.retention.ms", String.valueOf(7L * 24 * 3600 * 1000),
            // the last day stays uncompacted: a sink less than a day behind sees whole transactions
            "min.compaction.lag.ms", String.valueOf(24L * 3600 * 1000));

    /** Settings a user may not override: they are what makes the topic a node image. */
    static final Set<String> FIXED = Set.of("cleanup.policy");

    public NodeTopicPolicy {
        configs = Map.copyOf(configs);
    }

    /** The policy with pgmesh's defaults and the user's overrides; a fixed setting may not be overridden. */
    public static NodeTopicPolicy of(String topic, short replicationFactor, Map<String, String> overrides) {
        for (String key : FIXED) {
            if (overrides.containsKey(key) && !DEFAULT_CONFIGS.get(key).equals(overrides.get(key))) {
                throw new IllegalArgumentException("topic.config." + key + " cannot be changed: a node topic must be"
                        + " compacted (" + key + "=" + DEFAULT_CONFIGS.get(key) + ")");
            }
        }
        Map<String, String> configs = new LinkedHashMap<>(DEFAULT_CONFIGS);
        configs.putAll(overrides);
        return new NodeTopicPolicy(topic, replicationFactor, configs);
    }

    /**
     * What is wrong with the existing topic, each problem with its fix; empty when it can be used.
     *
     * @param partitions    the topic's partition count
     * @param cleanupPolicy its effective {@code cleanup.policy}
     */
    public List<String> problems(int partitions, String cleanupPolicy) {
        List<String> problems = new ArrayList<>();
        if (partitions != 1) {
            problems.add("topic " + topic + " has " + partitions + " partitions; a node topic needs exactly one, so"
                    + " that it keeps the node's commit order. Delete it (when no sink still needs it) or use another"
                    + " topic.prefix, and let the connector create it");
        }
        List<String> policies = cleanupPolicy == null ? List.of()
                : List.of(cleanupPolicy.replace(" ", "").split(","));
        if (!policies.equals(List.of("compact"))) {
            problems.add("topic " + topic + " has cleanup.policy=" + cleanupPolicy + "; a node topic must be"
                    + " compacted only (cleanup.policy=compact), or Kafka deletes rows a reseed needs. Fix it with:"
                    + " kafka-configs.sh --bootstrap-server <brokers> --alter --entity-type topics --entity-name "
                    + topic + " --add-config cleanup.policy=compact");
        }
        return problems;
    }
}
