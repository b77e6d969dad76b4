package io.pgmesh.source.capture;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.ChangeKey;
import io.pgmesh.common.envelope.ChangeValue;
import java.util.Objects;

/**
 * One record's worth of change, ready for the topic.
 *
 * @param headers    provenance and position
 * @param key        what it is about
 * @param value      the change; null for a row delete (a tombstone)
 * @param confirmLsn the LSN to confirm on the slot once this record and all before it are in Kafka;
 *                   set on the last record of a transaction (its end LSN) and on non-transactional
 *                   messages, null otherwise
 */
public record ChangeEvent(ChangeHeaders headers, ChangeKey key, ChangeValue value, Lsn confirmLsn) {

    public ChangeEvent {
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(key, "key");
    }

    public StreamPosition position() {
        return new StreamPosition(headers.commitLsn(), headers.txSeq());
    }

    /** This event as its transaction's last, confirming {@code endLsn}. */
    ChangeEvent lastOfTransaction(Lsn endLsn) {
        return new ChangeEvent(headers.asLastInTransaction(), key, value, endLsn);
    }
}
