package io.pgmesh.sink.progress;

import io.pgmesh.common.Lsn;

/**
 * Which applied offset of a partition may be committed to Kafka when the sink commits with
 * synchronous_commit off: a committed transaction is durable only once PostgreSQL flushed its WAL,
 * and a crash before that forgets it. Kafka's offset must never pass a transaction the database
 * could still forget, or a task started after the crash on a node that holds no stored position
 * yet would resume past it. Each look at the WAL (its insert and flush positions) either finds
 * everything flushed, or remembers the offset reached with the insert position that covers it (one
 * at a time), to be released by a later look once the flush has passed that position.
 */
public final class FlushedOffset {

    private long safe = -1;
    private long pendingOffset = -1;
    private Lsn pendingLsn = Lsn.INVALID;

    /**
     * One look at the WAL.
     *
     * @param applied the next offset whose transaction committed (not necessarily flushed), or -1
     * @param insert  the WAL insert position after those commits
     * @param flush   the WAL flush position, read with {@code insert}
     * @return the next offset safe to commit to Kafka, or -1 when none is yet
     */
    public long observe(long applied, Lsn insert, Lsn flush) {
        if (pendingOffset > safe && flush.compareTo(pendingLsn) >= 0) {
            safe = pendingOffset;
        }
        if (applied > safe) {
            if (flush.compareTo(insert) >= 0) {
                safe = applied;
            } else if (pendingOffset <= safe) {
                // an offset still waiting keeps its place: replacing it with a later one whose
                // position is further on could put the release off for as long as writes go on
                pendingOffset = applied;
                pendingLsn = insert;
            }
        }
        return safe;
    }

    /** The next offset safe to commit to Kafka as far as the looks so far show, or -1. */
    public long safe() {
        return safe;
    }

    /** The partition was read again from a stored position: what is remembered may be beyond it. */
    public void reset(long stored) {
        safe = Math.min(safe, stored);
        pendingOffset = -1;
        pendingLsn = Lsn.INVALID;
    }
}
