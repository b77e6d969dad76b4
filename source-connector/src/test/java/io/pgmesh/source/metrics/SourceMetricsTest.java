package io.pgmesh.source.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.common.metrics.TaskMetrics;
import io.pgmesh.source.snapshot.SnapshotProgress;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SourceMetricsTest {

    private static final NodeName N1 = new NodeName("n1");
    private static final NodeName N2 = new NodeName("n2");
    private final AtomicLong now = new AtomicLong(10_000_000L);
    private final SourceMetrics metrics = new SourceMetrics(N1, TaskMetrics.none(), new SnapshotProgress(), () -> -1,
            now::get);

    private static ChangeHeaders headers(NodeName origin, long micros, boolean last, Operation op, boolean snapshot) {
        return new ChangeHeaders(N1, origin, micros, new Lsn(100), new Lsn(100), 7L, 0, last, op, new TreeSet<>(),
                null, snapshot);
    }

    @Test
    void lagIsUnknownUntilTheFirstOwnCommitAndThenCountsFromIt() {
        assertEquals(-1, metrics.captureLagMillis());
        metrics.handedOn(headers(N1, 9_000_000L, true, Operation.INSERT, false));
        assertEquals(1000, metrics.captureLagMillis());
        now.addAndGet(500_000L);
        assertEquals(1500, metrics.captureLagMillis());
    }

    @Test
    void forwardedChangesAndSnapshotRowsDoNotMoveTheLagButHeartbeatsDo() {
        metrics.handedOn(headers(N1, 9_000_000L, true, Operation.INSERT, false));
        metrics.handedOn(headers(N2, 1_000L, true, Operation.UPDATE, false));
        metrics.handedOn(headers(N1, 2_000L, true, Operation.INSERT, true));
        assertEquals(1000, metrics.captureLagMillis());
        metrics.handedOn(headers(N1, 9_900_000L, true, Operation.HEARTBEAT, false));
        assertEquals(100, metrics.captureLagMillis());
    }

    @Test
    void recordsAndTransactionsAreCountedWithoutHeartbeatsOrSnapshotTransactions() {
        metrics.handedOn(headers(N1, 1, false, Operation.INSERT, false));
        metrics.handedOn(headers(N1, 1, true, Operation.UPDATE, false));
        metrics.handedOn(headers(N1, 1, true, Operation.HEARTBEAT, false));
        metrics.handedOn(headers(N1, 1, true, Operation.INSERT, true));
        assertEquals(3, metrics.records());
        assertEquals(1, metrics.transactions());
    }
}
