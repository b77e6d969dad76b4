package io.pgmesh.common.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;

/**
 * When a connector instance aborts a transaction Kafka left hanging on a node topic and on
 * Connect's offsets topic: shared by both connectors (a source looks at its own node topic, a
 * sink at its peers').
 */
public final class HangingTransactionConfig {

    public static final String ABORT_ENABLED_CONFIG = "hanging.transaction.abort.enabled";
    private static final String ABORT_ENABLED_DOC = "Whether the connector aborts a transaction that Kafka left open"
            + " (hanging) on a node topic it looks at (a source: its own; a sink: its peers') and on Connect's offsets"
            + " topic: one whose coordinator holds no live transaction for it, open for longer than"
            + " hanging.transaction.timeout.ms. Until it ends, every read_committed reader stops there: the sinks, and"
            + " the source task and connector themselves when Connect starts them. Aborting it loses nothing (the"
            + " source's offset goes back with the records and the slot still holds their changes); a transaction its"
            + " coordinator committed is never aborted, nor records whose offsets are not open with them. Each abort is"
            + " logged. Needs DESCRIBE on transactional ids, READ on the topics and ALTER on the cluster for the"
            + " connector's Kafka principal.";

    public static final String TIMEOUT_MS_CONFIG = "hanging.transaction.timeout.ms";
    private static final String TIMEOUT_MS_DOC = "How long such a transaction must stay open, unchanged and"
            + " unwritten, before the connector aborts it; longer than the source producers' transaction.timeout.ms (60"
            + " s by default), after which Kafka aborts any transaction it still knows of.";

    public static final String WORKER_OFFSET_STORAGE_TOPIC_CONFIG = "worker.offset.storage.topic";
    private static final String WORKER_OFFSET_STORAGE_TOPIC_DOC = "The Connect workers' offset.storage.topic, where"
            + " exactly-once source tasks write their offsets in the same transactions as their records: the"
            + " connector looks there for the offsets half of a hanging transaction (a source also in its own"
            + " offsets.storage.topic, if it has one).";

    private HangingTransactionConfig() {
    }

    public static void define(ConfigDef def, String group, int order) {
        def.define(ABORT_ENABLED_CONFIG, Type.BOOLEAN, true, Importance.LOW, ABORT_ENABLED_DOC, group, order,
                Width.SHORT, "Abort hanging transactions");
        def.define(TIMEOUT_MS_CONFIG, Type.LONG, 120_000L, ConfigDef.Range.between(1_000L, 86_400_000L), Importance.LOW,
                TIMEOUT_MS_DOC, group, order + 1, Width.SHORT, "Hanging transaction timeout (ms)");
        def.define(WORKER_OFFSET_STORAGE_TOPIC_CONFIG, Type.STRING, "connect-offsets", new ConfigDef.NonEmptyString(),
                Importance.LOW, WORKER_OFFSET_STORAGE_TOPIC_DOC, group, order + 2, Width.MEDIUM, "Worker offsets topic");
    }

    public static boolean abortEnabled(AbstractConfig config) {
        return config.getBoolean(ABORT_ENABLED_CONFIG);
    }

    public static Duration timeout(AbstractConfig config) {
        return Duration.ofMillis(config.getLong(TIMEOUT_MS_CONFIG));
    }

    /** The worker's offsets topic, and the connector's own offsets.storage.topic when it has one. */
    public static List<String> offsetsTopics(AbstractConfig config) {
        List<String> topics = new ArrayList<>(List.of(config.getString(WORKER_OFFSET_STORAGE_TOPIC_CONFIG)));
        Object own = config.originals().get("offsets.storage.topic");
        if (own != null && !own.toString().isBlank() && !topics.contains(own.toString().trim())) {
            topics.add(own.toString().trim());
        }
        return topics;
    }
}
