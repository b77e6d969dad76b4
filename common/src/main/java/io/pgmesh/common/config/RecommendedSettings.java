package io.pgmesh.common.config;

import java.util.Map;

/**
 * Connector settings pgmesh recommends on top of its own keys, in one place for whatever renders
 * connector configurations (pgmeshctl, the test kit) and for config-examples to follow.
 */
public final class RecommendedSettings {

    /**
     * A source's producer: Kafka's default 16 KB batches hold a handful of pgmesh records, and the
     * source then waits on the broker every few records (an initial snapshot of 1,000,000 rows took
     * 291 s with the defaults, 90 s with these). Needs a worker whose
     * {@code connector.client.config.override.policy} allows them (the default, All, does).
     */
    public static final Map<String, String> SOURCE_PRODUCER = Map.of("producer.override.batch.size", "524288",
            "producer.override.linger.ms", "10", "producer.override.compression.type", "lz4");

    private RecommendedSettings() {
    }
}
