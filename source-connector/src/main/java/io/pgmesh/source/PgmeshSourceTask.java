package io.pgmesh.source;

import io.pgmesh.common.Version;
import io.pgmesh.common.metrics.TaskMetrics;
import io.pgmesh.source.capture.AcknowledgedPosition;
import io.pgmesh.source.capture.ChangeEvent;
import io.pgmesh.source.capture.KafkaTransactionBoundaries;
import io.pgmesh.source.capture.StreamPosition;
import io.pgmesh.source.capture.VisibleConfirmations;
import io.pgmesh.source.config.PgmeshSourceConfig;
import io.pgmesh.source.metrics.SourceMetrics;
import io.pgmesh.source.record.SourceOffsets;
import io.pgmesh.source.record.SourceRecordFactory;
import io.pgmesh.source.snapshot.SnapshotProgress;
import io.pgmesh.source.stream.CaptureSession;
import io.pgmesh.source.topic.LastStableOffsetWatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.apache.kafka.connect.source.TransactionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one task of a source connector: hands the node's change events to Connect, ends a Kafka
 * transaction on a PostgreSQL commit (the last one of each batch) when Connect runs it exactly-once
 * with connector-defined boundaries, and lets the slot advance only over what Kafka has acknowledged
 * and a read_committed reader can read.
 */
public final class PgmeshSourceTask extends SourceTask {

    private static final Logger LOG = LoggerFactory.getLogger(PgmeshSourceTask.class);

    private final AcknowledgedPosition<SourceRecord> acknowledged = new AcknowledgedPosition<>();
    private final VisibleConfirmations visible = new VisibleConfirmations();
    private LastStableOffsetWatch lastStableOffset;
    private CaptureSession session;
    private SourceRecordFactory records;
    private TransactionContext transactions;
    private KafkaTransactionBoundaries boundaries;
    private SourceMetrics metrics;

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public void start(Map<String, String> props) {
        PgmeshSourceConfig config = new PgmeshSourceConfig(props);
        Map<String, String> partition = SourceOffsets.partition(config.nodeName().value(), config.slotName());
        Map<String, Object> offset = context.offsetStorageReader().offset(partition);
        Optional<StreamPosition> committed = SourceOffsets.position(offset);
        boolean snapshot = config.snapshotMode() == PgmeshSourceConfig.SnapshotMode.INITIAL
                && (committed.isEmpty() || SourceOffsets.snapshotIncomplete(offset));
        records = new SourceRecordFactory(partition, config.topic());
        transactions = context.transactionContext();
        boundaries = new KafkaTransactionBoundaries(config.kafkaTransactionMaxRecords());
        LOG.info("Starting capture of node {} into {}; last committed position: {}{}; Kafka transactions per"
                + " PostgreSQL transaction: {}", config.nodeName(), config.topic(),
                committed.map(Object::toString).orElse("none"), snapshot ? " (snapshot first)" : "",
                transactions != null);
        SnapshotProgress progress = new SnapshotProgress();
        AtomicLong slotLagBytes = new AtomicLong(-1);
        metrics = new SourceMetrics(config.nodeName(), TaskMetrics.of(context::pluginMetrics), progress,
                slotLagBytes::get, () -> TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()));
        session = CaptureSession.start(config, committed, snapshot, progress, slotLagBytes);
        lastStableOffset = new LastStableOffsetWatch(config.kafkaAdminProps(), config.topic(), visible, session::confirm);
    }

    @Override
    public List<SourceRecord> poll() throws InterruptedException {
        List<ChangeEvent> events = session.poll();
        if (events.isEmpty()) {
            return null;
        }
        List<SourceRecord> batch = new ArrayList<>(events.size());
        for (ChangeEvent event : events) {
            SourceRecord record = records.toRecord(event);
            acknowledged.submitted(record, event.confirmLsn());
            metrics.handedOn(event.headers());
            batch.add(record);
        }
        int commitAfter = boundaries.commitAfter(events);
        if (transactions != null && commitAfter >= 0) {
            // normally on the batch's last PostgreSQL commit, so a Kafka transaction holds whole
            // PostgreSQL transactions; inside one only when it grew past kafka.transaction.max.records
            transactions.commitTransaction(batch.get(commitAfter));
        }
        return batch;
    }

    @Override
    public void commitRecord(SourceRecord record, RecordMetadata metadata) {
        acknowledged.acknowledged(record);
        // confirmed on the slot once the sinks can read it too (LastStableOffsetWatch)
        visible.acknowledged(acknowledged.confirmable(), metadata == null ? -1 : metadata.offset());
    }

    @Override
    public void stop() {
        if (lastStableOffset != null) {
            lastStableOffset.close();
        }
        if (session != null) {
            session.close();
        }
        if (metrics != null) {
            metrics.close();
        }
    }
}
