package io.pgmesh.sink;

import io.pgmesh.common.NodeName;
import io.pgmesh.common.Version;
import io.pgmesh.common.metrics.TaskMetrics;
import io.pgmesh.common.retry.RetryBudget;
import io.pgmesh.common.sql.ConnectSqlErrors;
import io.pgmesh.common.sql.PostgresConnector;
import io.pgmesh.sink.apply.ApplyConnections;
import io.pgmesh.sink.apply.PartitionApplier;
import io.pgmesh.sink.apply.SchemaMismatchException;
import io.pgmesh.sink.schema.TargetTables;
import io.pgmesh.sink.config.PgmeshSinkConfig;
import io.pgmesh.sink.failure.FailurePolicy;
import io.pgmesh.sink.metrics.SinkMetrics;
import io.pgmesh.sink.record.ChangeRecord;
import io.pgmesh.sink.apply.Maintenance;
import io.pgmesh.common.schema.NodeSchema;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sink task: applies the peer topic partitions Connect assigns it, each with its own
 * {@link PartitionApplier} and database connection. Reports to Connect only offsets whose effects
 * are committed in the database; retriable database failures roll back and re-read the
 * transaction after a backoff, permanent ones fail the task saying what to fix.
 */
public final class PgmeshSinkTask extends SinkTask {

    private static final Logger LOG = LoggerFactory.getLogger(PgmeshSinkTask.class);

    private PgmeshSinkConfig config;
    private final Map<TopicPartition, PartitionApplier> appliers = new HashMap<>();
    private final Map<TopicPartition, RetryBudget> retries = new HashMap<>();
    private final TargetTables tables = new TargetTables();
    private ErrantRecordReporter reporter;
    private Maintenance maintenance;
    private FailurePolicy failures;
    private SinkMetrics metrics;

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public void start(Map<String, String> props) {
        config = new PgmeshSinkConfig(props);
        reporter = errantRecordReporter();
        maintenance = new Maintenance(config);
        failures = new FailurePolicy(config.nodeName(), config.retry().timeout());
        metrics = new SinkMetrics(TaskMetrics.of(context::pluginMetrics),
                () -> TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()));
        try (Connection c = ApplyConnections.open(new PostgresConnector(config.database()), config)) {
            NodeSchema.bootstrap(c, config.nodeName());
        } catch (SQLException e) {
            throw ConnectSqlErrors.toConnectException("preparing schema pgmesh on node " + config.nodeName()
                    + " (" + config.database().describe() + ")", e);
        }
        LOG.info("Sink of node {} applying {} (sets {}, origins: {})", config.nodeName(), props.get(TOPICS_CONFIG),
                config.replicationSets(), config.originFilter().configValue());
    }

    private ErrantRecordReporter errantRecordReporter() {
        try {
            return context.errantRecordReporter();
        } catch (NoSuchMethodError | NoClassDefFoundError e) {
            return null;
        }
    }

    @Override
    public void open(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            PartitionApplier applier = applier(tp);
            try {
                applier.storedPosition().ifPresent(offset -> context.offset(tp, offset));
            } catch (SQLException e) {
                LOG.warn("Could not read the stored position of {} yet ({}); it is read again before applying", tp,
                        e.getMessage());
                applier.rollback();
            }
        }
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        Set<TopicPartition> rewound = new HashSet<>();
        Duration backoff = Duration.ZERO;
        for (SinkRecord record : records) {
            TopicPartition tp = new TopicPartition(record.originalTopic(), record.originalKafkaPartition());
            if (rewound.contains(tp)) {
                continue;
            }
            ChangeRecord change = parse(record);
            if (change == null) {
                continue;
            }
            PartitionApplier applier = applier(tp);
            try {
                Optional<Long> rewind = applier.process(change);
                if (rewind.isPresent()) {
                    rewind(tp, rewind.get());
                    rewound.add(tp);
                }
            } catch (SQLException e) {
                rewound.add(tp);
                backoff = max(backoff, handleFailure(tp, applier, change, e));
            } catch (SchemaMismatchException e) {
                rewound.add(tp);
                backoff = max(backoff, waitForSchema(tp, applier, change, e));
            } catch (RuntimeException e) {
                applier.rollback();
                throw e;
            }
        }
        for (Map.Entry<TopicPartition, PartitionApplier> e : appliers.entrySet()) {
            TopicPartition tp = e.getKey();
            if (rewound.contains(tp)) {
                continue;
            }
            PartitionApplier applier = e.getValue();
            try {
                // the transactions of this delivery that ended commit now, in one exchange
                applier.flush();
                budget(tp).succeeded();
            } catch (SQLException ex) {
                backoff = max(backoff, handleFailure(tp, applier, applier.lastRecord(), ex));
            } catch (RuntimeException ex) {
                applier.rollback();
                throw ex;
            }
        }
        maintenance.maybeRun(appliers.values());
        sleep(backoff);
    }

    /** Rolls the partition back and rewinds it; returns how long to wait (the policy fails the task when waiting cannot help). */
    private Duration handleFailure(TopicPartition tp, PartitionApplier applier, ChangeRecord change, SQLException e) {
        FailurePolicy.Rewind r = failures.onDatabaseError(applier, change, e, budget(tp), System.nanoTime());
        rewind(tp, r.offset());
        return r.delay();
    }

    private Duration waitForSchema(TopicPartition tp, PartitionApplier applier, ChangeRecord change,
                                   SchemaMismatchException e) {
        FailurePolicy.Rewind r = failures.onSchemaMismatch(applier, change, e, budget(tp), System.nanoTime());
        rewind(tp, r.offset());
        return r.delay();
    }

    /** Has Connect deliver {@code tp} again from {@code offset}: always a real position, never -1. */
    private void rewind(TopicPartition tp, long offset) {
        if (offset < 0) {
            throw new IllegalStateException("pgmesh would rewind " + tp + " to offset " + offset
                    + ", which is not a position: please report this; restarting the task resumes where the database stands");
        }
        context.offset(tp, offset);
    }

    private RetryBudget budget(TopicPartition tp) {
        return retries.computeIfAbsent(tp, t -> config.retry().budget());
    }

    /** The record parsed, or null when it is not a pgmesh record and the dead-letter queue took it. */
    private ChangeRecord parse(SinkRecord record) {
        try {
            return ChangeRecord.parse(record);
        } catch (DataException e) {
            if (reporter == null) {
                throw new ConnectException("Record at " + record.originalTopic() + "-" + record.originalKafkaPartition()
                        + " offset " + record.originalKafkaOffset() + " is not a pgmesh change (" + e.getMessage()
                        + "). Only pgmesh source topics belong in 'topics'; to set such records aside instead, configure"
                        + " errors.tolerance=all and errors.deadletterqueue.topic.name.", e);
            }
            reporter.report(record, e);
            return null;
        }
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        Map<TopicPartition, OffsetAndMetadata> durable = new HashMap<>();
        appliers.forEach((tp, applier) -> {
            long committable = applier.committableOffset();
            if (committable >= 0) {
                durable.put(tp, new OffsetAndMetadata(committable));
            }
        });
        return durable;
    }

    @Override
    public void close(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            PartitionApplier applier = appliers.remove(tp);
            if (applier != null) {
                applier.close();
            }
            retries.remove(tp);
        }
    }

    @Override
    public void stop() {
        appliers.values().forEach(PartitionApplier::close);
        appliers.clear();
        if (metrics != null) {
            metrics.close();
        }
    }

    private PartitionApplier applier(TopicPartition tp) {
        return appliers.computeIfAbsent(tp, t -> {
            String peer = config.peerOf(t.topic());
            if (peer == null) {
                throw new ConnectException("Topic " + t.topic() + " is not a pgmesh node topic");
            }
            return new PartitionApplier(t.topic(), t.partition(), new NodeName(peer), config, tables, metrics);
        });
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static void sleep(Duration delay) {
        if (delay.isZero()) {
            return;
        }
        try {
            Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
