package io.pgmesh.sink.progress;

import io.pgmesh.sink.conflict.SeenVector;
import java.util.Optional;

/**
 * Where the apply of one peer topic partition stands, and the rules of resuming it. Three offsets
 * (each the next offset to read, -1 before the first): how far records were processed, how far
 * their transactions committed on the node (or were passed over), and how far the position stored
 * in the database goes. With them, what the peer had seen from each origin (for conflicts): as
 * processed, and as of the committed position.
 *
 * <p>Where to resume is read from the database whenever a connection is new, since PostgreSQL may
 * have restarted and, with synchronous_commit off, forgotten the last transactions the sink
 * committed. Where the database holds no position yet, the partition resumes at the first offset
 * Kafka delivered in this session. No JDBC: the caller reads and writes the position.
 */
public final class PartitionPosition {

    /** What this sink had seen before it stored any position for the partition: the floor of its first session. */
    private final SeenVector initialSeen;
    private SeenVector seen;
    private SeenVector durableSeen;
    private long next = -1;
    private long durable = -1;
    private long stored = -1;
    private long firstDelivered = -1;
    /** Whether the position was read from the database on the current connection. */
    private boolean checked;
    private long lastStoreNanos;

    /**
     * @param nowMicros the wall clock: changes committed before it count as seen by the peer
     * @param nowNanos  the monotonic clock, from which the next idle store is timed
     */
    public PartitionPosition(long nowMicros, long nowNanos) {
        initialSeen = SeenVector.of(java.util.Map.of(), nowMicros);
        seen = initialSeen.copy();
        durableSeen = seen.copy();
        lastStoreNanos = nowNanos;
    }

    /** The position read from the database on the current connection (empty: none stored yet). */
    public void loaded(Optional<SinkProgress.Position> position) {
        if (position.isPresent()) {
            seen = position.get().seen();
            stored = position.get().nextOffset();
        } else {
            seen = initialSeen.copy();
            stored = -1;
        }
        durable = stored;
        durableSeen = seen.copy();
        checked = true;
    }

    /** Whether the position was read from the database on the current connection. */
    public boolean checked() {
        return checked;
    }

    /** The connection was lost or replaced: the position is read again before the next record. */
    public void connectionLost() {
        checked = false;
    }

    /**
     * Kafka delivers the record at {@code offset}, with the position just {@link #loaded}.
     *
     * @return where the partition must be read from instead, when that is not {@code offset}
     */
    public Optional<Long> resumeAfterLoad(Optional<Long> storedOffset, long offset) {
        long resumeAt = storedOffset.orElse(firstDelivered);
        if (resumeAt == offset) {
            return Optional.empty();
        }
        next = resumeAt;
        return Optional.of(resumeAt);
    }

    /** Notes the first offset Kafka delivered in this session, where to resume when the database holds no position. */
    public void delivered(long offset) {
        if (firstDelivered < 0) {
            firstDelivered = offset;
        }
    }

    /** Whether records were processed in this session before (a position read again follows a lost connection). */
    public boolean resumedBefore() {
        return next >= 0;
    }

    /** Whether the record at {@code offset} was processed already (Kafka delivers again what precedes a rewind). */
    public boolean passedOver(long offset) {
        return next >= 0 && offset < next;
    }

    /** The record at {@code offset} was processed. */
    public void processed(long offset) {
        next = offset + 1;
    }

    /** What the peer had seen so far, updated as records pass by. */
    public SeenVector seen() {
        return seen;
    }

    /**
     * A transaction ending at {@code nextOffset} committed (or was passed over) with what the peer
     * had seen by its end; {@code stored} when its commit stored the position too.
     */
    public void committed(long nextOffset, SeenVector seenAtEnd, boolean storedWithIt, long nowNanos) {
        durable = nextOffset;
        durableSeen = seenAtEnd;
        if (storedWithIt) {
            stored = nextOffset;
            lastStoreNanos = nowNanos;
        }
    }

    /** Whether the position should be stored on its own: records were only passed over for {@code interval}. */
    public boolean storeDue(long nowNanos, long intervalNanos) {
        return durable > stored && nowNanos - lastStoreNanos >= intervalNanos;
    }

    /** The committed position was stored on its own. */
    public void stored(long nowNanos) {
        stored = durable;
        lastStoreNanos = nowNanos;
    }

    /** The open transactions were undone: what was seen goes back to the committed position. */
    public void forgetOpen() {
        seen = durableSeen.copy();
    }

    /**
     * After a failure of an exchange of several transactions, those before the failing one are
     * committed: the position read back says how far.
     *
     * @return whether it is past the committed position as known so far
     */
    public boolean committedBeyond(SinkProgress.Position read) {
        if (read.nextOffset() <= durable) {
            return false;
        }
        durable = read.nextOffset();
        stored = durable;
        durableSeen = read.seen();
        seen = durableSeen.copy();
        return true;
    }

    /**
     * After a failure, where the partition is read again from: the committed position, or, before
     * the first transaction ended, the first offset of this session; -1 only when nothing was
     * delivered yet.
     */
    public long rewind() {
        next = durable >= 0 ? durable : firstDelivered;
        return next;
    }

    /** What the peer had seen as of the committed position, to store with it. */
    public SeenVector durableSeen() {
        return durableSeen;
    }

    /** The next offset whose transactions committed on this node (or were passed over), or -1. */
    public long durable() {
        return durable;
    }
}
