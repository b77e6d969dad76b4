package io.pgmesh.sink.config;

import io.pgmesh.common.NodeName;
import io.pgmesh.common.config.DatabaseConfig;
import io.pgmesh.common.config.DatabaseConfig.DatabaseSettings;
import io.pgmesh.common.config.HangingTransactionConfig;
import io.pgmesh.common.config.KafkaAdminConfig;
import io.pgmesh.common.config.RetryConfig;
import io.pgmesh.common.config.StallConfig;
import io.pgmesh.common.config.Validators;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * Configuration of the pgmesh sink connector: this node, its database, and which peer topics and
 * replication sets it applies.
 */
public final class PgmeshSinkConfig extends AbstractConfig {

    private static final String GROUP_NODE = "Node";
    private static final String GROUP_DATABASE = "Database";
    private static final String GROUP_APPLY = "Apply";
    private static final String GROUP_CONFLICTS = "Conflicts";
    private static final String GROUP_RESILIENCE = "Resilience";

    public static final String NODE_NAME_CONFIG = "node.name";
    private static final String NODE_NAME_DOC = "This node's cluster-unique name: 1 to 32 characters of [a-z0-9_]."
            + " Changes that originated here are never applied here.";

    public static final String TOPIC_PREFIX_CONFIG = "topic.prefix";
    private static final String TOPIC_PREFIX_DOC = "Prefix of the node topics. List the peers' topics,"
            + " <topic.prefix>.<peer>, in Connect's own 'topics' key; never this node's own.";
    private static final String TOPIC_PREFIX_DEFAULT = "pgmesh";

    private static final String DATABASE_USER_DOC = "Role to apply changes as. It needs superuser once, to"
            + " create pgmesh's objects in schema pgmesh (the sink does it on start); afterwards it needs to write the"
            + " replicated tables and the pgmesh schema, use the replication-origin functions and set"
            + " session_replication_role.";

    public static final String REPLICATION_SETS_CONFIG = "replication.sets";
    private static final String REPLICATION_SETS_DOC = "Replication sets this node subscribes to: a change is applied"
            + " only when it is tagged with at least one of them (the pgmesh.sets header: the sets of its table that"
            + " replicate that kind of change, or for replicated DDL the sets it was replicated in). The default is"
            + " every set each node has: default, default_insert_only (tables without a key) and ddl_sql (DDL).";
    private static final String REPLICATION_SETS_DEFAULT = "default,default_insert_only,ddl_sql";

    public static final String ORIGIN_FILTER_CONFIG = "origin.filter";
    private static final String ORIGIN_FILTER_DOC = "Which origins to apply from a peer's topic: topic_owner (only"
            + " the changes the peer made itself: the mesh's normal mode, every change crosses one hop) or all (every"
            + " origin except this node, each applied once under its own replication origin: to reseed a node from one"
            + " peer's topic).";

    public static final String APPLY_SYNCHRONOUS_COMMIT_CONFIG = "apply.synchronous.commit.enabled";
    private static final String APPLY_SYNCHRONOUS_COMMIT_DOC = "Whether apply transactions wait for their WAL flush."
            + " Off is safe: each applied transaction commits its replication-origin progress and the sink's topic"
            + " position with it, so one lost in a server crash is applied again (after a lost connection the sink"
            + " resumes where the database stands, and the offset it commits to Kafka waits for the WAL flush).";

    public static final String PROGRESS_FLUSH_INTERVAL_MS_CONFIG = "progress.flush.interval.ms";
    private static final String PROGRESS_FLUSH_INTERVAL_MS_DOC = "When a peer's topic has only records this node"
            + " skips (its own changes coming back, other sets, heartbeats), how often to store the position reached,"
            + " so a restart does not read them again.";

    public static final String APPLY_BATCH_MAX_TRANSACTIONS_CONFIG = "apply.batch.max.transactions";
    private static final String APPLY_BATCH_MAX_TRANSACTIONS_DOC = "How many source transactions at most one exchange"
            + " with the node carries. Each is still its own local transaction (its own origin commit time, origin"
            + " progress and position); an exchange holds what one delivery from Kafka brings, is sent when it is"
            + " delivered (never held back waiting for more), and ends early at DDL, a snapshot run, a change of origin"
            + " and anything that must read before it writes. 1 sends every transaction on its own.";

    public static final String APPLY_BATCH_MAX_BYTES_CONFIG = "apply.batch.max.bytes";
    private static final String APPLY_BATCH_MAX_BYTES_DOC = "About how many bytes of statement text one exchange with"
            + " the node carries at most (a transaction larger than this goes in several exchanges of its own).";

    public static final String TOMBSTONE_RETENTION_MS_CONFIG = "tombstone.retention.ms";
    private static final String TOMBSTONE_RETENTION_MS_DOC = "How long the key of a deleted row is kept in"
            + " pgmesh.tombstones. An update or insert of that row older than the delete that arrives within this time"
            + " is dropped; keep it well above the longest replication delay you expect.";

    public static final String CONFLICT_LOG_ROWS_CONFIG = "conflict.log.rows.enabled";
    private static final String CONFLICT_LOG_ROWS_DOC = "Whether pgmesh.conflicts also keeps the local and remote row"
            + " images (they may hold sensitive data).";

    public static final String CONFLICT_LOG_RETENTION_MS_CONFIG = "conflict.log.retention.ms";
    private static final String CONFLICT_LOG_RETENTION_MS_DOC = "How long rows stay in pgmesh.conflicts (the counts"
            + " in pgmesh.conflict_counters are kept).";

    public static final String APPLY_ERROR_POLICY_CONFIG = "apply.error.policy";
    private static final String APPLY_ERROR_POLICY_DOC = "What to do when the database refuses a change for its data"
            + " (SQLSTATE classes 22 data exception, 23 integrity constraint violation, 44 check option, P0 raised by a"
            + " trigger), after the sink applied its transaction again one change at a time to find the change:"
            + " stop (the task fails naming the change, nothing of the transaction is applied; fix the cause and restart"
            + " the task, or leave the transaction out with pgmesh.skip_transaction), discard_transaction (the whole"
            + " transaction is left out) or discard_row (only the refused change is left out; a failure that no single"
            + " change caused, such as a deferred constraint at commit, leaves out the transaction). Every change left"
            + " out is recorded in pgmesh.exceptions on this node, with the error, in the transaction that records the"
            + " origin's progress. Other permanent errors (privileges, missing objects) always stop the task, as does a"
            + " failed DDL statement; retriable errors are retried within retry.timeout.ms whatever the policy.";

    /** What the sink does with a change the database refuses for its data. */
    public enum ApplyErrorPolicy {
        STOP, DISCARD_TRANSACTION, DISCARD_ROW;

        public String configValue() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Which origins a sink applies from a peer's topic. */
    public enum OriginFilter {
        TOPIC_OWNER, ALL;

        public String configValue() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final String APPLY_NETWORK_TIMEOUT_MS_CONFIG = "apply.network.timeout.ms";
    private static final String APPLY_NETWORK_TIMEOUT_MS_DOC = "How long the sink waits for the database to answer"
            + " an apply statement (a replicated DDL statement excepted, which may rightly take long) before it counts"
            + " the connection as lost, rolls back and retries: so that a server that stopped answering (frozen, or"
            + " behind a network that drops packets) never holds the task, nor a stop of the task, without bound."
            + " Keep it above the longest time a replicated row may wait for a lock the node's own transactions hold.";

    public static final ConfigDef CONFIG_DEF = configDef();

    public PgmeshSinkConfig(Map<String, String> props) {
        this(props, true);
    }

    /** @param checkAcrossFields false to leave checks between keys to the caller ({@link #crossFieldProblems()}) */
    public PgmeshSinkConfig(Map<String, String> props, boolean checkAcrossFields) {
        super(CONFIG_DEF, props);
        if (checkAcrossFields) {
            Map<String, String> problems = crossFieldProblems();
            if (!problems.isEmpty()) {
                Map.Entry<String, String> first = problems.entrySet().iterator().next();
                throw new ConfigException(first.getKey(), originals().get(first.getKey()), first.getValue());
            }
        }
    }

    private static ConfigDef configDef() {
        ConfigDef def = new ConfigDef();
        int order = 0;
        def.define(NODE_NAME_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, Validators.NODE_NAME, Importance.HIGH,
                NODE_NAME_DOC, GROUP_NODE, ++order, Width.SHORT, "Node name");
        def.define(TOPIC_PREFIX_CONFIG, Type.STRING, TOPIC_PREFIX_DEFAULT, Validators.TOPIC_PREFIX, Importance.MEDIUM,
                TOPIC_PREFIX_DOC, GROUP_NODE, ++order, Width.SHORT, "Topic prefix");
        DatabaseConfig.define(def, GROUP_DATABASE, DATABASE_USER_DOC);
        order = 0;
        def.define(REPLICATION_SETS_CONFIG, Type.LIST, REPLICATION_SETS_DEFAULT, Validators.REPLICATION_SETS,
                Importance.HIGH, REPLICATION_SETS_DOC, GROUP_APPLY, ++order, Width.LONG, "Replication sets");
        def.define(ORIGIN_FILTER_CONFIG, Type.STRING, OriginFilter.TOPIC_OWNER.configValue(),
                Validators.enumValue(OriginFilter.class), Importance.MEDIUM, ORIGIN_FILTER_DOC, GROUP_APPLY, ++order,
                Width.SHORT, "Origin filter");
        def.define(APPLY_SYNCHRONOUS_COMMIT_CONFIG, Type.BOOLEAN, false, Importance.LOW, APPLY_SYNCHRONOUS_COMMIT_DOC,
                GROUP_APPLY, ++order, Width.SHORT, "Synchronous commit");
        def.define(PROGRESS_FLUSH_INTERVAL_MS_CONFIG, Type.LONG, 10_000L, ConfigDef.Range.between(100L, 3_600_000L),
                Importance.LOW, PROGRESS_FLUSH_INTERVAL_MS_DOC, GROUP_APPLY, ++order, Width.SHORT,
                "Progress flush interval (ms)");
        def.define(APPLY_BATCH_MAX_TRANSACTIONS_CONFIG, Type.INT, 500, ConfigDef.Range.between(1, 100_000),
                Importance.LOW, APPLY_BATCH_MAX_TRANSACTIONS_DOC, GROUP_APPLY, ++order, Width.SHORT,
                "Transactions per exchange");
        def.define(APPLY_BATCH_MAX_BYTES_CONFIG, Type.INT, 4 << 20, ConfigDef.Range.between(64 << 10, 256 << 20),
                Importance.LOW, APPLY_BATCH_MAX_BYTES_DOC, GROUP_APPLY, ++order, Width.SHORT, "Bytes per exchange");
        def.define(APPLY_ERROR_POLICY_CONFIG, Type.STRING, ApplyErrorPolicy.STOP.configValue(),
                Validators.enumValue(ApplyErrorPolicy.class), Importance.MEDIUM, APPLY_ERROR_POLICY_DOC, GROUP_APPLY,
                ++order, Width.SHORT, "Apply error policy");
        order = 0;
        def.define(TOMBSTONE_RETENTION_MS_CONFIG, Type.LONG, Duration.ofDays(7).toMillis(),
                ConfigDef.Range.atLeast(Duration.ofMinutes(1).toMillis()), Importance.MEDIUM, TOMBSTONE_RETENTION_MS_DOC,
                GROUP_CONFLICTS, ++order, Width.SHORT, "Tombstone retention (ms)");
        def.define(CONFLICT_LOG_ROWS_CONFIG, Type.BOOLEAN, false, Importance.LOW, CONFLICT_LOG_ROWS_DOC,
                GROUP_CONFLICTS, ++order, Width.SHORT, "Log row images");
        def.define(CONFLICT_LOG_RETENTION_MS_CONFIG, Type.LONG, Duration.ofDays(30).toMillis(),
                ConfigDef.Range.atLeast(Duration.ofMinutes(1).toMillis()), Importance.LOW, CONFLICT_LOG_RETENTION_MS_DOC,
                GROUP_CONFLICTS, ++order, Width.SHORT, "Conflict log retention (ms)");
        RetryConfig.define(def, GROUP_RESILIENCE, "(lost connection, deadlock, serialization failure, server restart)");
        order = 10;
        def.define(APPLY_NETWORK_TIMEOUT_MS_CONFIG, Type.LONG, 300_000L, ConfigDef.Range.between(1_000L, 86_400_000L),
                Importance.LOW, APPLY_NETWORK_TIMEOUT_MS_DOC, GROUP_RESILIENCE, ++order, Width.SHORT,
                "Apply network timeout (ms)");
        KafkaAdminConfig.define(def, GROUP_RESILIENCE, ++order, "to read how far the peers' topics go, for the stall"
                + " check (stall.timeout.ms), and to abort transactions Kafka left hanging on them. Empty: neither is"
                + " done", false);
        HangingTransactionConfig.define(def, GROUP_RESILIENCE, ++order);
        order += 2;
        StallConfig.define(def, GROUP_RESILIENCE, ++order, "records of a peer's topic past its position; progress is"
                + " that position, as stored in pgmesh.sink_progress or committed to Kafka; needs"
                + " kafka.bootstrap.servers");
        return def;
    }

    /** Problems that involve more than one key (or Connect's own keys), by the key to report them on. */
    public Map<String, String> crossFieldProblems() {
        Map<String, String> problems = new LinkedHashMap<>(RetryConfig.problems(this));
        Object regex = originals().get(SinkTask.TOPICS_REGEX_CONFIG);
        if (regex != null && !regex.toString().isBlank()) {
            problems.put(SinkTask.TOPICS_REGEX_CONFIG, "list the peers' topics in 'topics' instead: the sink gives"
                    + " each peer topic a task of its own and must know them");
        }
        if (originFilter() == OriginFilter.ALL && topics().size() > 1) {
            problems.put(ORIGIN_FILTER_CONFIG, "origin.filter=all applies every origin found in a topic, so it reads"
                    + " exactly one topic (the peer to reseed from): list one topic, or use topic_owner");
        }
        String topicsProblem = topicsProblem();
        if (topicsProblem != null) {
            problems.put(SinkTask.TOPICS_CONFIG, topicsProblem);
        }
        return problems;
    }

    private String topicsProblem() {
        List<String> topics = topics();
        if (topics.isEmpty()) {
            return "name the peers' topics, for example " + getString(TOPIC_PREFIX_CONFIG) + ".n2";
        }
        for (String topic : topics) {
            String peer = peerOf(topic);
            if (peer == null) {
                return "topic " + topic + " is not a node topic: expected " + getString(TOPIC_PREFIX_CONFIG)
                        + ".<peer node name>";
            }
            if (peer.equals(getString(NODE_NAME_CONFIG))) {
                return "topic " + topic + " is this node's own topic: a sink never applies its own node's changes";
            }
        }
        return null;
    }

    /** The peer node a topic belongs to, or null when it is not a node topic. */
    public String peerOf(String topic) {
        String prefix = getString(TOPIC_PREFIX_CONFIG) + ".";
        if (!topic.startsWith(prefix)) {
            return null;
        }
        String node = topic.substring(prefix.length());
        return NodeName.isValid(node) ? node : null;
    }

    /** The topics Connect's {@code topics} key lists. */
    public List<String> topics() {
        Object topics = originals().get(SinkTask.TOPICS_CONFIG);
        if (topics == null) {
            return List.of();
        }
        return java.util.Arrays.stream(topics.toString().split(",")).map(String::trim).filter(t -> !t.isEmpty())
                .distinct().toList();
    }

    public NodeName nodeName() {
        return new NodeName(getString(NODE_NAME_CONFIG));
    }

    public DatabaseSettings database() {
        return DatabaseConfig.settings(this);
    }

    public Set<String> replicationSets() {
        return new TreeSet<>(getList(REPLICATION_SETS_CONFIG));
    }

    public OriginFilter originFilter() {
        return OriginFilter.valueOf(getString(ORIGIN_FILTER_CONFIG).toUpperCase(Locale.ROOT));
    }

    public ApplyErrorPolicy applyErrorPolicy() {
        return ApplyErrorPolicy.valueOf(getString(APPLY_ERROR_POLICY_CONFIG).toUpperCase(Locale.ROOT));
    }

    public boolean synchronousCommit() {
        return getBoolean(APPLY_SYNCHRONOUS_COMMIT_CONFIG);
    }

    public int applyBatchMaxTransactions() {
        return getInt(APPLY_BATCH_MAX_TRANSACTIONS_CONFIG);
    }

    public int applyBatchMaxBytes() {
        return getInt(APPLY_BATCH_MAX_BYTES_CONFIG);
    }

    public Duration progressFlushInterval() {
        return Duration.ofMillis(getLong(PROGRESS_FLUSH_INTERVAL_MS_CONFIG));
    }

    public Duration tombstoneRetention() {
        return Duration.ofMillis(getLong(TOMBSTONE_RETENTION_MS_CONFIG));
    }

    public boolean logConflictRows() {
        return getBoolean(CONFLICT_LOG_ROWS_CONFIG);
    }

    public Duration conflictLogRetention() {
        return Duration.ofMillis(getLong(CONFLICT_LOG_RETENTION_MS_CONFIG));
    }

    public RetryConfig.RetrySettings retry() {
        return RetryConfig.settings(this);
    }

    public Duration applyNetworkTimeout() {
        return Duration.ofMillis(getLong(APPLY_NETWORK_TIMEOUT_MS_CONFIG));
    }

    public Duration stallTimeout() {
        return StallConfig.stallTimeout(this);
    }

    public boolean abortHangingTransactions() {
        return HangingTransactionConfig.abortEnabled(this);
    }

    public Duration hangingTransactionTimeout() {
        return HangingTransactionConfig.timeout(this);
    }

    public List<String> offsetsTopics() {
        return HangingTransactionConfig.offsetsTopics(this);
    }

    /** Whether brokers are configured for the stall check. */
    public boolean watchesTopics() {
        return KafkaAdminConfig.configured(this);
    }

    /** Settings of the connector's admin client (may hold secrets: never log them). */
    public Map<String, Object> kafkaAdminProps() {
        return KafkaAdminConfig.adminProps(this, "pgmesh-sink-" + getString(NODE_NAME_CONFIG) + "-admin");
    }

    /** The consumer group Connect reads the peers' topics in: connect-<name>, unless overridden. */
    public String consumerGroup() {
        Object group = originals().get("consumer.override.group.id");
        return group == null || group.toString().isBlank() ? "connect-" + connectorName() : group.toString();
    }

    /** The connector's name, which keys its rows in pgmesh.sink_progress. */
    public String connectorName() {
        Object name = originals().get("name");
        return name == null ? "pgmesh-sink-" + getString(NODE_NAME_CONFIG) : name.toString();
    }
}
