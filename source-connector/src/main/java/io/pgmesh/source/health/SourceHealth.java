package io.pgmesh.source.health;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.health.HealthReport;
import io.pgmesh.common.health.ProgressWatch;
import io.pgmesh.common.health.StallReporter;
import io.pgmesh.common.metrics.TaskMetrics;
import io.pgmesh.common.sql.PostgresConnector;
import io.pgmesh.source.config.PgmeshSourceConfig;
import io.pgmesh.common.topic.HangingTransactionAborter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source connector instance's look at its node, every few seconds and from outside the task:
 * aborts transactions Kafka left hanging on its node topic ({@link HangingTransactionAborter}; the
 * peers' sink connectors look too, as Connect's start-up of this instance may wait behind such a
 * transaction), and tells whether
 * the task is stalled: the slot has WAL it has not confirmed and its confirmed position has not
 * moved for {@code stall.timeout.ms} (heartbeats move it on an idle node). A stall is logged with
 * what the source waits for, published as the connector's {@code stalled} metric and recorded in
 * pgmesh.connector_health for {@code pgmeshctl status}.
 */
public final class SourceHealth implements Runnable, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SourceHealth.class);

    private final PgmeshSourceConfig config;
    private final String connector;
    private final Admin admin;
    private final HangingTransactionAborter aborter;
    private final PostgresConnector database;
    private final ProgressWatch watch;
    private final TopicPartition topic;
    private final StallReporter reporter;

    public SourceHealth(PgmeshSourceConfig config, String connector, TaskMetrics metrics) {
        this.config = config;
        this.connector = connector;
        this.admin = Admin.create(config.kafkaAdminProps());
        this.aborter = config.abortHangingTransactions() ? new HangingTransactionAborter(admin, "Source connector "
                + connector, List.of(config.topic()), config.offsetsTopics(), connector, config.hangingTransactionTimeout())
                : null;
        this.database = new PostgresConnector(config.database());
        this.watch = new ProgressWatch(config.stallTimeout().toMillis());
        this.topic = new TopicPartition(config.topic(), 0);
        this.reporter = new StallReporter("The source of node " + config.nodeName() + " (" + connector + ")", connector, HealthReport.Kind.SOURCE, metrics);
    }

    @Override
    public void run() {
        if (aborter != null) {
            aborter.look();
        }
        try (Connection c = database.open("pgmesh-source-health", "")) {
            Slot slot = slot(c);
            boolean work = slot != null && slot.lagBytes() > 0 && !config.heartbeatInterval().isZero();
            Optional<ProgressWatch.Stalled> now = watch.observe(System.currentTimeMillis(), work,
                    slot == null ? null : slot.confirmed(), () -> waitingFor(slot));
            reporter.looked(now, "its slot " + config.slotName() + " has WAL it has not confirmed", c);
        } catch (SQLException e) {
            LOG.debug("The source of node {} could not look at its slot: {}", config.nodeName(), e.getMessage());
        }
    }

    private record Slot(boolean active, Lsn confirmed, long lagBytes) {
    }

    private Slot slot(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT active, confirmed_flush_lsn::text,"
                + " pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint FROM pg_replication_slots"
                + " WHERE slot_name = ?")) {
            s.setString(1, config.slotName());
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next() || rs.getString(2) == null) {
                    return null;
                }
                return new Slot(rs.getBoolean(1), Lsn.parse(rs.getString(2)), rs.getLong(3));
            }
        }
    }

    private String waitingFor(Slot slot) {
        if (!slot.active()) {
            return "its slot " + config.slotName() + " is not being read: no task streams it (under exactly-once"
                    + " Connect starts the task only once it has read its offsets topic to the end, which a transaction"
                    + " Kafka left hanging there holds up; such transactions are aborted after"
                    + " hanging.transaction.timeout.ms)";
        }
        try {
            long stable = admin.listOffsets(Map.of(topic, OffsetSpec.latest()), new ListOffsetsOptions(
                    IsolationLevel.READ_COMMITTED)).partitionResult(topic).get(10, TimeUnit.SECONDS).offset();
            long end = admin.listOffsets(Map.of(topic, OffsetSpec.latest())).partitionResult(topic)
                    .get(10, TimeUnit.SECONDS).offset();
            if (stable < end) {
                return "the last stable offset of " + topic + " to pass " + stable + " (the topic ends at " + end
                        + "): a transaction is open there, and the slot is confirmed only past what read_committed"
                        + " readers can read";
            }
            return "the task to stream and Kafka to acknowledge: the slot is read, " + topic + " is readable to its end"
                    + " at " + end + ", and its confirmed position " + slot.confirmed() + " does not move";
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return "Kafka: the slot's confirmed position " + slot.confirmed() + " does not move, and " + topic
                    + " cannot be looked at (" + e + ")";
        }
    }



    @Override
    public void close() {
        reporter.close();
        admin.close(java.time.Duration.ofSeconds(2));
    }
}
