package io.pgmesh.source.capture;

import io.pgmesh.common.Lsn;
import java.util.Comparator;
import java.util.Objects;

/**
 * Where a record sits in the node's change stream: its transaction's commit LSN (a
 * non-transactional message's own LSN) and its 0-based position in that transaction. The stream
 * is in this order, so "everything up to here is in Kafka" is one position.
 */
public record StreamPosition(Lsn commitLsn, int seq) implements Comparable<StreamPosition> {

    /** Before every change. */
    public static final StreamPosition START = new StreamPosition(Lsn.INVALID, -1);

    private static final Comparator<StreamPosition> ORDER =
            Comparator.comparing(StreamPosition::commitLsn).thenComparingInt(StreamPosition::seq);

    public StreamPosition {
        Objects.requireNonNull(commitLsn, "commitLsn");
    }

    @Override
    public int compareTo(StreamPosition other) {
        return ORDER.compare(this, other);
    }

    public boolean isAfter(StreamPosition other) {
        return compareTo(other) > 0;
    }

    @Override
    public String toString() {
        return commitLsn + "#" + seq;
    }
}
