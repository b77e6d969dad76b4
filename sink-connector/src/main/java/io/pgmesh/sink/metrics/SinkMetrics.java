package io.pgmesh.sink.metrics;

import io.pgmesh.common.NodeName;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.metrics.TaskMetrics;
import io.pgmesh.sink.conflict.ConflictType;
import io.pgmesh.sink.record.RecordFilter.Verdict;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A sink task's metrics (docs/monitoring.md): what it applied and passed over, the conflicts it
 * resolved, and how far behind each origin it is. Counts move only when the local transaction
 * commits, so a retried transaction is counted once. Updated by the task's thread, read by JMX.
 */
public final class SinkMetrics implements AutoCloseable {

    private final TaskMetrics metrics;
    private final LongSupplier clockMicros;
    private final AtomicLong transactions = new AtomicLong();
    private final AtomicLong rows = new AtomicLong();
    private final AtomicLong snapshotRows = new AtomicLong();
    private final AtomicLong discarded = new AtomicLong();
    private final Map<ConflictType, AtomicLong> conflicts = new EnumMap<>(ConflictType.class);
    private final Map<Verdict, AtomicLong> filtered = new EnumMap<>(Verdict.class);
    private final Map<NodeName, AtomicLong> lastCommitMicros = new ConcurrentHashMap<>();

    public SinkMetrics(TaskMetrics metrics, LongSupplier clockMicros) {
        this.metrics = metrics;
        this.clockMicros = clockMicros;
        metrics.gauge("applied-transactions-total", "Source transactions applied (committed) on this node",
                transactions::get);
        metrics.gauge("applied-rows-total", "Row changes applied on this node, conflicts resolved either way included",
                rows::get);
        metrics.gauge("applied-snapshot-rows-total", "Snapshot rows applied on this node", snapshotRows::get);
        metrics.gauge("discarded-changes-total", "Changes left out by apply.error.policy and recorded in"
                + " pgmesh.exceptions", discarded::get);
        for (ConflictType type : ConflictType.values()) {
            AtomicLong count = new AtomicLong();
            conflicts.put(type, count);
            metrics.gauge("conflicts-total", "Conflicts resolved and logged, by type", Map.of("conflict", type.wireName()),
                    count::get);
        }
        for (Verdict verdict : Verdict.values()) {
            if (verdict != Verdict.APPLY) {
                AtomicLong count = new AtomicLong();
                filtered.put(verdict, count);
                metrics.gauge("filtered-records-total", "Records passed over, by reason",
                        Map.of("reason", verdict.name().toLowerCase(java.util.Locale.ROOT)), count::get);
            }
        }
    }

    /** A record passed over. */
    public void filtered(Verdict verdict) {
        AtomicLong count = filtered.get(verdict);
        if (count != null) {
            count.incrementAndGet();
        }
    }

    /**
     * A record of the topic's owner was read (applied or not, heartbeats too): the origin is
     * known to be this far. Snapshot rows carry the rows' own old times and are not counted.
     */
    public void reached(NodeName owner, ChangeHeaders h) {
        if (h.snapshot() || !h.originNode().equals(owner)) {
            return;
        }
        lastCommitMicros.computeIfAbsent(owner, o -> {
            AtomicLong last = new AtomicLong();
            metrics.gauge("apply-lag-ms", "Now minus the origin commit time of the newest change (or heartbeat) of"
                    + " the origin this task has applied or passed over; -1 before the first", Map.of("origin",
                    o.value()), () -> lagMillis(last.get()));
            return last;
        }).accumulateAndGet(h.originCommitMicros(), Math::max);
    }

    /** A local transaction committed: its rows and conflicts count now. */
    public void committed(boolean snapshot, int rowCount, List<ConflictType> resolved) {
        if (snapshot) {
            snapshotRows.addAndGet(rowCount);
        } else {
            transactions.incrementAndGet();
            rows.addAndGet(rowCount);
        }
        resolved.forEach(t -> conflicts.get(t).incrementAndGet());
    }

    /** Changes left out by the apply-error policy, committed with their records in pgmesh.exceptions. */
    public void discarded(int changes) {
        discarded.addAndGet(changes);
    }

    public long discardedChanges() {
        return discarded.get();
    }

    public long transactions() {
        return transactions.get();
    }

    public long rows() {
        return rows.get();
    }

    public long snapshotRows() {
        return snapshotRows.get();
    }

    public long conflicts(ConflictType type) {
        return conflicts.get(type).get();
    }

    public long filteredCount(Verdict verdict) {
        return filtered.get(verdict).get();
    }

    /** The apply lag behind {@code origin}, -1 before its first record. */
    public long lagMillis(NodeName origin) {
        AtomicLong last = lastCommitMicros.get(origin);
        return last == null ? -1 : lagMillis(last.get());
    }

    private long lagMillis(long micros) {
        return micros == 0 ? -1 : Math.max(0, TimeUnit.MICROSECONDS.toMillis(clockMicros.getAsLong() - micros));
    }

    @Override
    public void close() {
        metrics.close();
    }
}
