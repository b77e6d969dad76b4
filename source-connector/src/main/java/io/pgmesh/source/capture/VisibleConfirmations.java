package io.pgmesh.source.capture;

import io.pgmesh.common.Lsn;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Holds the slot back until what Kafka acknowledged is also visible to the sinks. A producer's
 * commit can return while a partition keeps the transaction open (a broker restart has left such
 * hanging transactions; the only way out is to abort them): the records are then not readable by
 * a read_committed consumer, and an abort removes them. So a confirmable LSN is released to the
 * slot only once the topic's last stable offset has passed every record acknowledged with it; an
 * aborted hanging transaction then loses nothing, as the slot still has its WAL.
 */
public final class VisibleConfirmations {

    private record Waiting(Lsn lsn, long throughOffset) {
    }

    private final Deque<Waiting> waiting = new ArrayDeque<>();
    private long maxOffset = -1;
    private Lsn queued = Lsn.INVALID;
    private Lsn released = Lsn.INVALID;

    /**
     * Kafka acknowledged a record written at {@code offset} (-1: not written, Connect dropped it),
     * after which the slot may be confirmed to {@code confirmable} once it is visible.
     */
    public synchronized void acknowledged(Lsn confirmable, long offset) {
        maxOffset = Math.max(maxOffset, offset);
        if (confirmable.isAfter(queued)) {
            waiting.addLast(new Waiting(confirmable, maxOffset));
            queued = confirmable;
        }
    }

    /**
     * The LSN the slot may be confirmed to now that the topic's last stable offset is {@code lso}
     * (the offset of its first record a read_committed consumer cannot read yet).
     */
    public synchronized Lsn visible(long lso) {
        while (!waiting.isEmpty() && waiting.peekFirst().throughOffset() < lso) {
            released = Lsn.max(released, waiting.removeFirst().lsn());
        }
        return released;
    }

    /** The offset the oldest confirmation still waits to see passed, or -1 when none waits. */
    public synchronized long waitingFor() {
        return waiting.isEmpty() ? -1 : waiting.peekFirst().throughOffset();
    }
}
