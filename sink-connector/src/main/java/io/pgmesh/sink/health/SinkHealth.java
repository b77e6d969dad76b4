package io.pgmesh.sink.health;

import io.pgmesh.common.health.HealthReport;
import io.pgmesh.common.health.ProgressWatch;
import io.pgmesh.common.health.StallReporter;
import io.pgmesh.common.metrics.TaskMetrics;
import io.pgmesh.common.sql.PostgresConnector;
import io.pgmesh.common.topic.HangingTransactionAborter;
import io.pgmesh.sink.config.PgmeshSinkConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink connector instance's look at its tasks, from outside them. It aborts transactions
 * Kafka left hanging on its peers' topics ({@link HangingTransactionAborter}): after a broker
 * restart the sources' own connector instances may wait behind them in Connect's start-up, while
 * the sinks' run on. And it tells whether the task is stalled: a peer's topic holds records
 * past where the sink stands (the position it stored in pgmesh.sink_progress, or committed to
 * Kafka, whichever is further) and that position has not moved for {@code stall.timeout.ms}. Each
 * peer's source writes heartbeats, so a sink that works moves even when nothing changes. A stall is
 * logged with what the sink waits for, published as the connector's {@code stalled} metric and
 * recorded in pgmesh.connector_health for {@code pgmeshctl status}.
 */
public final class SinkHealth implements Runnable, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SinkHealth.class);
    private static final long CALL_TIMEOUT_S = 10;

    private final PgmeshSinkConfig config;
    private final Admin admin;
    private final PostgresConnector database;
    private final ProgressWatch watch;
    private final List<TopicPartition> partitions;
    private final StallReporter reporter;
    private final HangingTransactionAborter aborter;

    public SinkHealth(PgmeshSinkConfig config, TaskMetrics metrics) {
        this.config = config;
        this.admin = Admin.create(config.kafkaAdminProps());
        this.database = new PostgresConnector(config.database());
        this.watch = new ProgressWatch(config.stallTimeout().toMillis());
        this.partitions = config.topics().stream().map(t -> new TopicPartition(t, 0)).toList();
        this.aborter = config.abortHangingTransactions() ? new HangingTransactionAborter(admin, "Sink connector "
                + config.connectorName(), config.topics(), config.offsetsTopics(), null, config.hangingTransactionTimeout())
                : null;
        this.reporter = new StallReporter("The sink of node " + config.nodeName() + " (" + config.connectorName() + ")", config.connectorName(), HealthReport.Kind.SINK, metrics);
    }

    /** Where a peer's topic ends, and how far read_committed readers may read it. */
    private record Ends(long end, long stable) {
    }

    @Override
    public void run() {
        if (aborter != null) {
            aborter.look();
        }
        try (Connection c = database.open("pgmesh-sink-health", "")) {
            Map<TopicPartition, Long> at = positions(c);
            Map<TopicPartition, Ends> ends = ends();
            boolean work = ends.entrySet().stream().anyMatch(e -> e.getValue().end() - at.getOrDefault(e.getKey(), 0L) > 1);
            Optional<ProgressWatch.Stalled> now = watch.observe(System.currentTimeMillis(), work, at,
                    () -> waitingFor(at, ends));
            reporter.looked(now, "its peers' topics hold records past its position", c);
        } catch (SQLException e) {
            LOG.debug("The sink of node {} could not look at its progress: {}", config.nodeName(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.debug("The sink of node {} could not look at its peers' topics: {}", config.nodeName(), e.toString());
        }
    }

    /** The furthest of the stored position and the consumer group's committed offset, per partition. */
    private Map<TopicPartition, Long> positions(Connection c) throws Exception {
        Map<TopicPartition, Long> at = new LinkedHashMap<>();
        try (PreparedStatement s = c.prepareStatement("SELECT topic, next_offset FROM pgmesh.sink_progress"
                + " WHERE connector = ? AND kafka_partition = 0")) {
            s.setString(1, config.connectorName());
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    at.put(new TopicPartition(rs.getString(1), 0), rs.getLong(2));
                }
            }
        }
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(config.consumerGroup())
                .partitionsToOffsetAndMetadata().get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
        committed.forEach((tp, o) -> {
            if (o != null && partitions.contains(tp)) {
                at.merge(tp, o.offset(), Math::max);
            }
        });
        at.keySet().retainAll(partitions);
        return at;
    }

    private Map<TopicPartition, Ends> ends() throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
        Map<TopicPartition, Ends> ends = new LinkedHashMap<>();
        var end = admin.listOffsets(latest).all().get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
        var stable = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                .get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
        for (TopicPartition tp : partitions) {
            ends.put(tp, new Ends(end.get(tp).offset(), stable.get(tp).offset()));
        }
        return ends;
    }

    private String waitingFor(Map<TopicPartition, Long> at, Map<TopicPartition, Ends> ends) {
        StringBuilder what = new StringBuilder();
        ends.forEach((tp, e) -> {
            long position = at.getOrDefault(tp, 0L);
            if (e.end() - position <= 1) {
                return;
            }
            what.append(what.length() == 0 ? "" : "; ");
            if (e.stable() <= position + 1 && e.stable() < e.end()) {
                what.append("a transaction open on ").append(tp).append(" at offset ").append(e.stable())
                        .append(" (its last stable offset; the topic ends at ").append(e.end()).append("): read_committed"
                        + " readers see nothing past it; if Kafka left it hanging, pgmesh's connectors abort it once it is"
                        + " hanging.transaction.timeout.ms old");
            } else {
                what.append("its task to apply ").append(tp).append(" from offset ").append(position).append(" (readable")
                        .append(" to ").append(e.stable()).append("): see the task's state and the worker's log");
            }
        });
        return what.toString();
    }



    @Override
    public void close() {
        reporter.close();
        admin.close(java.time.Duration.ofSeconds(2));
    }
}
