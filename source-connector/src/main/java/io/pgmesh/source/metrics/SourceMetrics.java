package io.pgmesh.source.metrics;

import io.pgmesh.common.NodeName;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.common.metrics.TaskMetrics;
import io.pgmesh.source.snapshot.SnapshotProgress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The source task's metrics (documented in docs/monitoring.md): snapshot progress, and what the
 * task handed to Connect. Updated by the task's thread, read by JMX.
 */
public final class SourceMetrics implements AutoCloseable {

    private final NodeName node;
    private final LongSupplier clockMicros;
    private final TaskMetrics metrics;
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong transactions = new AtomicLong();
    private volatile long lastOwnCommitMicros;

    public SourceMetrics(NodeName node, TaskMetrics metrics, SnapshotProgress snapshot, LongSupplier slotLagBytes,
                         LongSupplier clockMicros) {
        this.node = node;
        this.metrics = metrics;
        this.clockMicros = clockMicros;
        metrics.gauge("snapshot-running", "1 while the initial snapshot copies tables into the topic, else 0",
                () -> snapshot.running() ? 1 : 0);
        metrics.gauge("snapshot-completed", "1 once the last snapshot copied every table, else 0",
                () -> snapshot.completed() ? 1 : 0);
        metrics.gauge("snapshot-tables-total", "Tables the current or last snapshot copies", snapshot::tablesTotal);
        metrics.gauge("snapshot-tables-copied", "Tables the current or last snapshot has copied",
                snapshot::tablesCopied);
        metrics.gauge("snapshot-rows-copied", "Rows the current or last snapshot has copied", snapshot::rowsCopied);
        metrics.gauge("snapshot-elapsed-ms", "How long the current snapshot has run, or the last one ran",
                snapshot::elapsedMillis);
        metrics.gauge("captured-records-total", "Change records (rows, DDL, truncates, messages, snapshot rows)"
                + " handed to Connect since the task started", records::get);
        metrics.gauge("captured-transactions-total", "Streamed transactions handed to Connect since the task started",
                transactions::get);
        metrics.gauge("capture-lag-bytes", "WAL the node wrote past its slot's confirmed position, that is not yet"
                + " acknowledged by Kafka and readable by read_committed consumers (read every 5 s); -1 until first read",
                slotLagBytes::getAsLong);
        metrics.gauge("capture-lag-ms", "Time from the commit on this node of the last transaction (or heartbeat)"
                + " handed to Connect to now; -1 before the first", this::captureLagMillis);
    }

    /** Counts one record handed to Connect. */
    public void handedOn(ChangeHeaders h) {
        if (h.op() == Operation.HEARTBEAT) {
            lastOwnCommitMicros = h.originCommitMicros();
            return;
        }
        records.incrementAndGet();
        if (h.snapshot()) {
            return;
        }
        if (h.txLast()) {
            transactions.incrementAndGet();
        }
        if (h.originNode().equals(node)) {
            lastOwnCommitMicros = h.originCommitMicros();
        }
    }

    public long records() {
        return records.get();
    }

    public long transactions() {
        return transactions.get();
    }

    /** -1 before the first own commit or heartbeat. */
    public long captureLagMillis() {
        long last = lastOwnCommitMicros;
        return last == 0 ? -1 : Math.max(0, TimeUnit.MICROSECONDS.toMillis(clockMicros.getAsLong() - last));
    }

    @Override
    public void close() {
        metrics.close();
    }
}
