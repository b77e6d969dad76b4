package io.pgmesh.sink.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.sink.apply.SourceTransaction.Boundary;
import io.pgmesh.sink.conflict.Version;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class SourceTransactionTest {

    private static final NodeName N1 = new NodeName("n1");
    private static final NodeName N3 = new NodeName("n3");
    private static final Lsn COMMIT = Lsn.parse("0/500");

    private static ChangeHeaders change(NodeName origin, Lsn commit, int seq, boolean snapshot) {
        return new ChangeHeaders(N1, origin, 10L, Lsn.parse("0/400"), commit, 7L, seq, false, Operation.INSERT,
                new TreeSet<>(Set.of("default")), null, snapshot);
    }

    private static SourceTransaction open(NodeName origin, boolean snapshot) {
        return new SourceTransaction(change(origin, COMMIT, 0, snapshot), new Version(10, origin.value()));
    }

    @Test
    void laterRecordsContinueItAndGapsAreWhatCompactionRemoved() {
        SourceTransaction tx = open(N1, false);
        assertEquals(Boundary.CONTINUES, tx.boundaryAt(change(N1, COMMIT, 1, false), new Version(10, "n1")));
        assertEquals(Boundary.CONTINUES, tx.boundaryAt(change(N1, COMMIT, 5, false), new Version(10, "n1")));
    }

    @Test
    void aSequenceNumberSeenAlreadyStartsASecondCopyOfTheSameTransaction() {
        SourceTransaction tx = open(N1, false);
        tx.lastSeq = 3;
        assertEquals(Boundary.REPEATED, tx.boundaryAt(change(N1, COMMIT, 0, false), new Version(10, "n1")));
        assertEquals(Boundary.REPEATED, tx.boundaryAt(change(N1, COMMIT, 3, false), new Version(10, "n1")));
    }

    @Test
    void anotherTransactionBeforeThisOnesLastRecordCutsItShort() {
        SourceTransaction tx = open(N1, false);
        assertEquals(Boundary.CUT_SHORT, tx.boundaryAt(change(N1, Lsn.parse("0/600"), 0, false), new Version(11, "n1")));
    }

    @Test
    void aSnapshotIsAppliedInRunsOfOneOriginAndCommitTime() {
        SourceTransaction tx = open(N1, true);
        assertEquals(Boundary.CONTINUES, tx.boundaryAt(change(N1, COMMIT, 1, true), new Version(10, "n1")));
        assertEquals(Boundary.SNAPSHOT_RUN_ENDS, tx.boundaryAt(change(N1, COMMIT, 1, true), new Version(12, "n1")));
        assertEquals(Boundary.SNAPSHOT_RUN_ENDS, tx.boundaryAt(change(N3, COMMIT, 1, true), new Version(10, "n3")));
        assertEquals(Boundary.REPEATED, tx.boundaryAt(change(N1, COMMIT, 0, true), new Version(12, "n1")),
                "a snapshot read again from its start");
    }
}
