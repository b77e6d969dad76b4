package io.pgmesh.sink.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.common.metrics.TaskMetrics;
import io.pgmesh.sink.conflict.ConflictType;
import io.pgmesh.sink.record.RecordFilter.Verdict;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SinkMetricsTest {

    private static final NodeName N1 = new NodeName("n1");
    private static final NodeName N3 = new NodeName("n3");
    private final AtomicLong now = new AtomicLong(10_000_000L);
    private final SinkMetrics metrics = new SinkMetrics(TaskMetrics.none(), now::get);

    private static ChangeHeaders headers(NodeName origin, long micros, Operation op, boolean snapshot) {
        return new ChangeHeaders(N1, origin, micros, new Lsn(100), new Lsn(100), 7L, 0, true, op, new TreeSet<>(),
                null, snapshot);
    }

    @Test
    void lagFollowsTheTopicOwnersNewestChangeOrHeartbeatButNotForwardedCopiesOrSnapshotRows() {
        assertEquals(-1, metrics.lagMillis(N1));
        metrics.reached(N1, headers(N1, 9_000_000L, Operation.INSERT, false));
        assertEquals(1000, metrics.lagMillis(N1));
        metrics.reached(N1, headers(N3, 9_900_000L, Operation.UPDATE, false));
        metrics.reached(N1, headers(N1, 9_950_000L, Operation.INSERT, true));
        assertEquals(1000, metrics.lagMillis(N1));
        metrics.reached(N1, headers(N1, 9_800_000L, Operation.HEARTBEAT, false));
        assertEquals(200, metrics.lagMillis(N1));
        now.addAndGet(1_000_000L);
        assertEquals(1200, metrics.lagMillis(N1), "a sink that hears nothing falls behind");
    }

    @Test
    void committedTransactionsCountRowsAndConflictsAndSnapshotRowsApart() {
        metrics.committed(false, 3, List.of(ConflictType.UPDATE_ORIGIN_DIFFERS, ConflictType.UPDATE_ORIGIN_DIFFERS));
        metrics.committed(true, 1000, List.of());
        metrics.committed(false, 1, List.of(ConflictType.DELETE_MISSING));
        assertEquals(2, metrics.transactions());
        assertEquals(4, metrics.rows());
        assertEquals(1000, metrics.snapshotRows());
        assertEquals(2, metrics.conflicts(ConflictType.UPDATE_ORIGIN_DIFFERS));
        assertEquals(1, metrics.conflicts(ConflictType.DELETE_MISSING));
        assertEquals(0, metrics.conflicts(ConflictType.INSERT_EXISTS));
    }

    @Test
    void passedOverRecordsAreCountedByReason() {
        metrics.filtered(Verdict.FORWARDED);
        metrics.filtered(Verdict.FORWARDED);
        metrics.filtered(Verdict.NOT_A_ROW_CHANGE);
        metrics.filtered(Verdict.APPLY);
        assertEquals(2, metrics.filteredCount(Verdict.FORWARDED));
        assertEquals(1, metrics.filteredCount(Verdict.NOT_A_ROW_CHANGE));
        assertEquals(0, metrics.filteredCount(Verdict.ALREADY_APPLIED));
    }
}
