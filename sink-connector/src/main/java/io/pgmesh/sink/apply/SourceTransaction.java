package io.pgmesh.sink.apply;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.sink.conflict.ConflictType;
import io.pgmesh.sink.conflict.SeenVector;
import io.pgmesh.sink.conflict.Version;
import java.util.ArrayList;
import java.util.List;

/**
 * A source transaction as the sink applies it: where it came from, what it did so far, and, once it
 * ended, where the partition stands after it. Which record continues it and which begins another is
 * {@link #boundaryAt}. Pure: no JDBC.
 */
final class SourceTransaction {

    /** A source transaction's identity: its origin and commit LSN. */
    record Id(NodeName origin, Lsn commitLsn) {
    }

    /** How the next record relates to the open transaction. */
    enum Boundary {
        /** A later record of the same transaction. */
        CONTINUES,
        /** A snapshot row of another origin or commit time: the run so far is committed first. */
        SNAPSHOT_RUN_ENDS,
        /** Another transaction begins before this one's last record (compaction removed the rest). */
        CUT_SHORT,
        /** The same transaction begins again (the source was restarted within it): the copy read so far is abandoned. */
        REPEATED
    }

    final NodeName origin;
    final Lsn commitLsn;
    final Lsn originLsn;
    final Version version;
    /** Rows of a snapshot: applied in runs of one origin and commit time, without origin progress. */
    final boolean snapshot;
    int lastSeq;
    /** Whether its local transaction began: something of it is written. */
    boolean writing;
    /** Row changes, conflicts and changes left out, counted in the metrics once it commits. */
    int rows;
    final List<ConflictType> conflicts = new ArrayList<>();
    int discarded;
    /** Where its statements begin in the pipeline and among the writes, while nothing of it was sent. */
    int pipelineStart;
    int writtenStart;
    boolean beganWithBegin;
    /**
     * Whether statements of it already ran: it holds locks on the server, so once it ends it
     * commits at once instead of waiting in the pipeline while other partitions apply.
     */
    boolean sent;
    /** Whether its local transaction stores the partition's position too (else only its origin's progress). */
    boolean positionStored;
    /** Once it ended: the offset after its last record, and what the peer had seen by then. */
    long nextOffset = -1;
    SeenVector seenAtEnd;

    SourceTransaction(ChangeHeaders h, Version version) {
        this.origin = h.originNode();
        this.commitLsn = h.commitLsn();
        this.originLsn = h.originLsn();
        this.version = version;
        this.snapshot = h.snapshot();
        this.lastSeq = h.txSeq();
    }

    Id id() {
        return new Id(origin, commitLsn);
    }

    /**
     * How the record with headers {@code h} (whose change has {@code next} as version) relates to
     * this transaction. A gap in the sequence is a record compaction removed (a later record writes
     * its row again); a sequence number seen already starts a second copy of the transaction. A
     * snapshot transaction is cut into runs of one origin and commit time, so that every row is
     * applied with its own, as PostgreSQL records one per local transaction.
     */
    Boundary boundaryAt(ChangeHeaders h, Version next) {
        boolean same = origin.equals(h.originNode()) && commitLsn.equals(h.commitLsn());
        if (snapshot && h.snapshot() && commitLsn.equals(h.commitLsn()) && h.txSeq() == lastSeq + 1
                && (!origin.equals(h.originNode()) || !version.equals(next))) {
            return Boundary.SNAPSHOT_RUN_ENDS;
        }
        if (same && h.txSeq() > lastSeq) {
            return Boundary.CONTINUES;
        }
        return commitLsn.equals(h.commitLsn()) ? Boundary.REPEATED : Boundary.CUT_SHORT;
    }
}
