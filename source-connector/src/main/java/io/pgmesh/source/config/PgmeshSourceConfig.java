package io.pgmesh.source.config;

import io.pgmesh.common.NodeName;
import io.pgmesh.common.config.DatabaseConfig;
import io.pgmesh.common.config.HangingTransactionConfig;
import io.pgmesh.common.config.KafkaAdminConfig;
import io.pgmesh.common.config.RetryConfig;
import io.pgmesh.common.config.StallConfig;
import io.pgmesh.common.config.Validators;
import io.pgmesh.common.config.DatabaseConfig.DatabaseSettings;
import io.pgmesh.source.topic.NodeTopicPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;

/** Configuration of the pgmesh source connector: one node, its database, its slot, its topic. */
public final class PgmeshSourceConfig extends AbstractConfig {

    private static final String GROUP_NODE = "Node";
    private static final String GROUP_DATABASE = "Database";
    private static final String GROUP_CAPTURE = "Capture";
    private static final String GROUP_RESILIENCE = "Resilience";

    static final Pattern HOST_PORT = KafkaAdminConfig.HOST_PORT;
    static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");

    public static final String NODE_NAME_CONFIG = "node.name";
    private static final String NODE_NAME_DOC = "This node's cluster-unique name: 1 to 32 characters of [a-z0-9_]."
            + " It names the node's topic (<topic.prefix>.<node.name>), its default slot (pgmesh_<node.name>) and the"
            + " replication origin its changes are applied under on every peer (pgmesh_<node.name>).";

    public static final String TOPIC_PREFIX_CONFIG = "topic.prefix";
    private static final String TOPIC_PREFIX_DOC = "Prefix of the node topic. The connector writes every change"
            + " committed on this node to <topic.prefix>.<node.name>, which must have exactly one partition.";
    private static final String TOPIC_PREFIX_DEFAULT = "pgmesh";

    private static final String DATABASE_USER_DOC = "Role to connect as. It needs the REPLICATION attribute and"
            + " SELECT on the replicated tables; to install or upgrade schema pgmesh (its event triggers) it must be a"
            + " superuser, otherwise a superuser must have installed it.";

    public static final String SLOT_NAME_CONFIG = "slot.name";
    private static final String SLOT_NAME_DOC = "Logical replication slot to stream from (1 to 63 characters of"
            + " [a-z0-9_]), created with the pgoutput plugin if missing. Empty: pgmesh_<node.name>. The slot's"
            + " confirmed position only advances to changes Kafka has acknowledged.";

    public static final String REPLICATION_SETS_CONFIG = "replication.sets";
    private static final String REPLICATION_SETS_DOC = "Replication sets this source streams. Set <s> is the"
            + " PostgreSQL publication pgmesh_<s>, managed with the pgmesh.repset_* functions; each change is tagged"
            + " with the sets of its table that replicate that kind of change, and sinks pick the sets they subscribe"
            + " to. Empty: every set of the node, including sets created while the connector runs.";

    public static final String MESSAGE_PREFIXES_CONFIG = "message.prefixes";
    private static final String MESSAGE_PREFIXES_DOC = "Prefixes of logical decoding messages"
            + " (pg_logical_emit_message) to carry into the topic; others are skipped. Heartbeats are always carried.";
    private static final String MESSAGE_PREFIXES_DEFAULT = "pgmesh.ddl";

    public static final String HEARTBEAT_INTERVAL_MS_CONFIG = "heartbeat.interval.ms";
    private static final String HEARTBEAT_INTERVAL_MS_DOC = "How often to write a heartbeat message into the"
            + " node's WAL, so that the slot advances and peers can measure lag even when the node is idle. 0 turns"
            + " heartbeats off.";
    private static final long HEARTBEAT_INTERVAL_MS_DEFAULT = 10_000L;

    public static final String STATUS_INTERVAL_MS_CONFIG = "status.interval.ms";
    private static final String STATUS_INTERVAL_MS_DOC = "How often to send a standby status update to the"
            + " server; keep it well under the server's wal_sender_timeout.";
    private static final long STATUS_INTERVAL_MS_DEFAULT = 10_000L;

    public static final String MAX_BATCH_SIZE_CONFIG = "max.batch.size";
    private static final String MAX_BATCH_SIZE_DOC = "Most records returned by one poll().";
    private static final int MAX_BATCH_SIZE_DEFAULT = 2048;

    public static final String MAX_QUEUE_SIZE_CONFIG = "max.queue.size";
    private static final String MAX_QUEUE_SIZE_DOC = "Most decoded records held between the replication stream"
            + " and poll(); bounds the task's memory. When full, reading the stream pauses.";
    private static final int MAX_QUEUE_SIZE_DEFAULT = 8192;

    public static final String POLL_TIMEOUT_MS_CONFIG = "poll.timeout.ms";
    private static final String POLL_TIMEOUT_MS_DOC = "How long poll() waits for a change before returning empty.";
    private static final long POLL_TIMEOUT_MS_DEFAULT = 500L;

    /** When the source copies the tables it streams into the topic before streaming. */
    public enum SnapshotMode {
        /** When the slot is created, and whenever the connector starts without a stored offset. */
        INITIAL,
        /** Never: only changes committed after the slot's creation reach the topic. */
        NEVER;

        public String configValue() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final String SNAPSHOT_MODE_CONFIG = "snapshot.mode";
    private static final String SNAPSHOT_MODE_DOC = "initial: when the connector creates its slot, it first copies"
            + " every table of the streamed replication sets into the topic (in the snapshot the slot exported, each"
            + " row with its last commit time and origin where the server still knows them), then streams from the"
            + " slot: no gap, nothing twice. It also takes a snapshot when it starts without a stored offset (its"
            + " offsets were reset, or an earlier snapshot did not complete): that is how to ask for a new one. never:"
            + " only changes committed after the slot's creation reach the topic.";

    public static final String SNAPSHOT_TRANSACTION_ROWS_CONFIG = "snapshot.transaction.rows";
    private static final String SNAPSHOT_TRANSACTION_ROWS_DOC = "Rows of a snapshot per topic transaction (under"
            + " exactly-once, Kafka transactions end on them). Larger is faster; the task's memory is bounded by"
            + " max.queue.size either way.";
    private static final int SNAPSHOT_TRANSACTION_ROWS_DEFAULT = 10_000;

    public static final String KAFKA_TRANSACTION_MAX_RECORDS_CONFIG = "kafka.transaction.max.records";
    private static final String KAFKA_TRANSACTION_MAX_RECORDS_DOC = "Under exactly-once, a Kafka transaction ends on"
            + " the last PostgreSQL commit of each poll batch, and also, once it holds this many records, inside a"
            + " PostgreSQL transaction: the Connect worker keeps every record of an open Kafka transaction in its heap"
            + " until the commit, so without this a transaction of a million rows would need the heap for a million"
            + " records. Sinks apply a PostgreSQL transaction as one local transaction wherever its Kafka transactions"
            + " end; a restarted task resumes inside it from the committed position.";
    private static final int KAFKA_TRANSACTION_MAX_RECORDS_DEFAULT = 10_000;

    public static final String KAFKA_BOOTSTRAP_SERVERS_CONFIG = KafkaAdminConfig.KAFKA_BOOTSTRAP_SERVERS_CONFIG;
    /** Prefix of Kafka admin-client settings (security, timeouts). */
    public static final String KAFKA_ADMIN_PREFIX = KafkaAdminConfig.KAFKA_ADMIN_PREFIX;

    /** Prefix of topic settings the node topic is created with, over pgmesh's defaults. */
    public static final String TOPIC_CONFIG_PREFIX = "topic.config.";

    public static final String TOPIC_REPLICATION_FACTOR_CONFIG = "topic.replication.factor";
    private static final String TOPIC_REPLICATION_FACTOR_DOC = "Replication factor of the node topic when the"
            + " connector creates it; -1 uses the broker's default.replication.factor. The topic is created with"
            + " cleanup.policy=compact, delete.retention.ms=604800000 (7 days) and min.compaction.lag.ms=86400000"
            + " (1 day); other topic settings can be given as topic.config.<setting> (cleanup.policy cannot be"
            + " changed). An existing topic must have one partition and cleanup.policy=compact, or the connector"
            + " refuses to start and says how to fix it.";

    public static final ConfigDef CONFIG_DEF = configDef();

    public PgmeshSourceConfig(Map<String, String> props) {
        this(props, true);
    }

    /** @param checkAcrossFields false to leave checks between keys to the caller ({@link #crossFieldProblems()}) */
    public PgmeshSourceConfig(Map<String, String> props, boolean checkAcrossFields) {
        super(CONFIG_DEF, props);
        if (checkAcrossFields) {
            validateAcrossFields();
        }
    }

    private static ConfigDef configDef() {
        ConfigDef def = new ConfigDef();
        int order = 0;
        def.define(NODE_NAME_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, Validators.NODE_NAME,
                Importance.HIGH, NODE_NAME_DOC, GROUP_NODE, ++order, Width.SHORT, "Node name");
        def.define(TOPIC_PREFIX_CONFIG, Type.STRING, TOPIC_PREFIX_DEFAULT, Validators.TOPIC_PREFIX, Importance.MEDIUM, TOPIC_PREFIX_DOC, GROUP_NODE, ++order,
                Width.SHORT, "Topic prefix");
        KafkaAdminConfig.define(def, GROUP_NODE, ++order, "to create the node topic (compacted, one partition) or check"
                + " an existing one, to follow its last stable offset, and to find transactions Kafka left hanging", true);
        def.define(TOPIC_REPLICATION_FACTOR_CONFIG, Type.SHORT, (short) -1, ConfigDef.LambdaValidator.with((name, value) -> {
                    // null: not a number, which ConfigDef reports itself
                    if (value != null && (Short) value != -1 && (Short) value < 1) {
                        throw new ConfigException(name, value, "must be -1 (the broker's default) or at least 1");
                    }
                }, () -> "-1 or at least 1"),
                Importance.MEDIUM, TOPIC_REPLICATION_FACTOR_DOC, GROUP_NODE, ++order, Width.SHORT, "Topic replication factor");
        DatabaseConfig.define(def, GROUP_DATABASE, DATABASE_USER_DOC);
        order = 0;
        def.define(SLOT_NAME_CONFIG, Type.STRING, "", Validators.emptyOr(SLOT_NAME, "1 to 63 characters of [a-z0-9_]"),
                Importance.MEDIUM, SLOT_NAME_DOC, GROUP_CAPTURE, ++order, Width.MEDIUM, "Slot name");
        def.define(REPLICATION_SETS_CONFIG, Type.LIST, "", Validators.REPLICATION_SETS_OR_ALL, Importance.MEDIUM,
                REPLICATION_SETS_DOC, GROUP_CAPTURE, ++order, Width.LONG, "Replication sets");
        def.define(MESSAGE_PREFIXES_CONFIG, Type.LIST, MESSAGE_PREFIXES_DEFAULT, Validators.NO_EMPTY_ELEMENTS,
                Importance.LOW, MESSAGE_PREFIXES_DOC, GROUP_CAPTURE, ++order, Width.LONG, "Message prefixes");
        def.define(HEARTBEAT_INTERVAL_MS_CONFIG, Type.LONG, HEARTBEAT_INTERVAL_MS_DEFAULT, ConfigDef.Range.atLeast(0L),
                Importance.MEDIUM, HEARTBEAT_INTERVAL_MS_DOC, GROUP_CAPTURE, ++order, Width.SHORT, "Heartbeat interval (ms)");
        def.define(STATUS_INTERVAL_MS_CONFIG, Type.LONG, STATUS_INTERVAL_MS_DEFAULT, ConfigDef.Range.between(100L, 3_600_000L),
                Importance.LOW, STATUS_INTERVAL_MS_DOC, GROUP_CAPTURE, ++order, Width.SHORT, "Status interval (ms)");
        def.define(MAX_BATCH_SIZE_CONFIG, Type.INT, MAX_BATCH_SIZE_DEFAULT, ConfigDef.Range.between(1, 100_000),
                Importance.LOW, MAX_BATCH_SIZE_DOC, GROUP_CAPTURE, ++order, Width.SHORT, "Max batch size");
        def.define(MAX_QUEUE_SIZE_CONFIG, Type.INT, MAX_QUEUE_SIZE_DEFAULT, ConfigDef.Range.between(1, 1_000_000),
                Importance.LOW, MAX_QUEUE_SIZE_DOC, GROUP_CAPTURE, ++order, Width.SHORT, "Max queue size");
        def.define(POLL_TIMEOUT_MS_CONFIG, Type.LONG, POLL_TIMEOUT_MS_DEFAULT, ConfigDef.Range.between(1L, 60_000L),
                Importance.LOW, POLL_TIMEOUT_MS_DOC, GROUP_CAPTURE, ++order, Width.SHORT, "Poll timeout (ms)");
        def.define(SNAPSHOT_MODE_CONFIG, Type.STRING, SnapshotMode.INITIAL.configValue(),
                Validators.enumValue(SnapshotMode.class), Importance.MEDIUM, SNAPSHOT_MODE_DOC, GROUP_CAPTURE, ++order,
                Width.SHORT, "Snapshot mode");
        def.define(SNAPSHOT_TRANSACTION_ROWS_CONFIG, Type.INT, SNAPSHOT_TRANSACTION_ROWS_DEFAULT,
                ConfigDef.Range.between(1, 1_000_000), Importance.LOW, SNAPSHOT_TRANSACTION_ROWS_DOC, GROUP_CAPTURE,
                ++order, Width.SHORT, "Snapshot rows per transaction");
        def.define(KAFKA_TRANSACTION_MAX_RECORDS_CONFIG, Type.INT, KAFKA_TRANSACTION_MAX_RECORDS_DEFAULT,
                ConfigDef.Range.between(100, 1_000_000), Importance.LOW, KAFKA_TRANSACTION_MAX_RECORDS_DOC,
                GROUP_CAPTURE, ++order, Width.SHORT, "Records per Kafka transaction at most");
        RetryConfig.define(def, GROUP_RESILIENCE, "(lost connection, server restart, slot in use)");
        order = 10;
        HangingTransactionConfig.define(def, GROUP_RESILIENCE, ++order);
        order += 2;
        StallConfig.define(def, GROUP_RESILIENCE, ++order, "WAL its slot has not confirmed; progress is the slot's"
                + " confirmed position, which heartbeats move even on an idle node, so with heartbeat.interval.ms=0 it is"
                + " not checked");
        return def;
    }

    /** Checks between keys; ConfigDef validators have already checked each key alone. */
    private void validateAcrossFields() {
        Map<String, String> problems = crossFieldProblems();
        if (!problems.isEmpty()) {
            Map.Entry<String, String> first = problems.entrySet().iterator().next();
            throw new ConfigException(first.getKey(), originals().get(first.getKey()), first.getValue());
        }
    }

    /** Problems that involve more than one key, by the key to report them on. */
    public Map<String, String> crossFieldProblems() {
        Map<String, String> problems = new java.util.LinkedHashMap<>();
        if (topic().length() > 249) {
            problems.put(TOPIC_PREFIX_CONFIG, "topic name " + topic() + " is longer than Kafka's 249 characters");
        }
        problems.putAll(RetryConfig.problems(this));
        try {
            topicPolicy();
        } catch (IllegalArgumentException e) {
            problems.put(TOPIC_CONFIG_PREFIX + "cleanup.policy", e.getMessage());
        }
        Object partitions = originals().get("topic.creation.default.partitions");
        if (partitions != null && !"1".equals(partitions.toString().trim())) {
            problems.put("topic.creation.default.partitions", "a node topic must have exactly one partition"
                    + " so that it stays in commit order: set topic.creation.default.partitions to 1");
        }
        return problems;
    }

    public NodeName nodeName() {
        return new NodeName(getString(NODE_NAME_CONFIG));
    }

    public String topic() {
        return getString(TOPIC_PREFIX_CONFIG) + "." + getString(NODE_NAME_CONFIG);
    }

    /** How the node topic must be, with the user's topic.config.* overrides. */
    public NodeTopicPolicy topicPolicy() {
        Map<String, String> overrides = new java.util.LinkedHashMap<>();
        originalsWithPrefix(TOPIC_CONFIG_PREFIX).forEach((k, v) -> overrides.put(k, String.valueOf(v)));
        return NodeTopicPolicy.of(topic(), getShort(TOPIC_REPLICATION_FACTOR_CONFIG), overrides);
    }

    /** Settings of the admin client that checks the node topic (may hold secrets: never log them). */
    public Map<String, Object> kafkaAdminProps() {
        return KafkaAdminConfig.adminProps(this, "pgmesh-source-" + getString(NODE_NAME_CONFIG) + "-admin");
    }

    public boolean abortHangingTransactions() {
        return HangingTransactionConfig.abortEnabled(this);
    }

    public Duration hangingTransactionTimeout() {
        return HangingTransactionConfig.timeout(this);
    }

    /** The offsets topics the task's transactions write to (see {@link HangingTransactionConfig}). */
    public List<String> offsetsTopics() {
        return HangingTransactionConfig.offsetsTopics(this);
    }

    public Duration stallTimeout() {
        return StallConfig.stallTimeout(this);
    }

    public DatabaseSettings database() {
        return DatabaseConfig.settings(this);
    }

    public String slotName() {
        String slot = getString(SLOT_NAME_CONFIG);
        return slot.isEmpty() ? "pgmesh_" + getString(NODE_NAME_CONFIG) : slot;
    }

    /** The sets to stream; empty means every set of the node. */
    public Set<String> replicationSets() {
        return new TreeSet<>(getList(REPLICATION_SETS_CONFIG));
    }

    public Set<String> messagePrefixes() {
        return Set.copyOf(getList(MESSAGE_PREFIXES_CONFIG));
    }

    public Duration heartbeatInterval() {
        return Duration.ofMillis(getLong(HEARTBEAT_INTERVAL_MS_CONFIG));
    }

    public Duration statusInterval() {
        return Duration.ofMillis(getLong(STATUS_INTERVAL_MS_CONFIG));
    }

    public int maxBatchSize() {
        return getInt(MAX_BATCH_SIZE_CONFIG);
    }

    public int maxQueueSize() {
        return getInt(MAX_QUEUE_SIZE_CONFIG);
    }

    public Duration pollTimeout() {
        return Duration.ofMillis(getLong(POLL_TIMEOUT_MS_CONFIG));
    }

    public SnapshotMode snapshotMode() {
        return SnapshotMode.valueOf(getString(SNAPSHOT_MODE_CONFIG).toUpperCase(Locale.ROOT));
    }

    public int snapshotTransactionRows() {
        return getInt(SNAPSHOT_TRANSACTION_ROWS_CONFIG);
    }

    public int kafkaTransactionMaxRecords() {
        return getInt(KAFKA_TRANSACTION_MAX_RECORDS_CONFIG);
    }

    public RetryConfig.RetrySettings retry() {
        return RetryConfig.settings(this);
    }
}
