package io.pgmesh.sink.record;

import io.pgmesh.common.NodeName;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.ChangeKey;
import io.pgmesh.common.envelope.ChangeValue;
import io.pgmesh.common.envelope.LogicalMessage;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.sink.conflict.Version;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.SinkRecord;

/** A record of a peer's topic, parsed: headers, key, value (null for a delete) and its position. */
public record ChangeRecord(SinkRecord source, ChangeHeaders headers, ChangeKey key, ChangeValue value) {

    /**
     * @throws DataException when the record was not written by a pgmesh source (or by a newer one)
     */
    public static ChangeRecord parse(SinkRecord record) {
        ChangeHeaders headers = ChangeHeaders.readFrom(record.headers());
        if (record.key() == null) {
            throw new DataException("pgmesh record without a key");
        }
        ChangeKey key = ChangeKey.fromConnect(record.key());
        ChangeValue value = record.value() == null ? null : ChangeValue.fromConnect(record.value());
        if (value == null && headers.op() != Operation.DELETE) {
            throw new DataException("pgmesh record with no value says it is a " + headers.op().wireName()
                    + "; only deletes are tombstones");
        }
        if (value != null && value.operation() != headers.op()) {
            throw new DataException("pgmesh record value says " + value.operation().wireName() + " but its header says "
                    + headers.op().wireName());
        }
        return new ChangeRecord(record, headers, key, value);
    }

    public String topic() {
        return source.originalTopic();
    }

    public int partition() {
        return source.originalKafkaPartition();
    }

    public long offset() {
        return source.originalKafkaOffset();
    }

    /** Whether this is a replicated DDL statement (a {@code pgmesh.ddl} logical message). */
    public boolean isDdl() {
        return value instanceof LogicalMessage m && LogicalMessage.DDL_PREFIX.equals(m.prefix());
    }

    /** Whether this is a sync event ({@code pgmesh.sync_event()}, a {@code pgmesh.sync} message). */
    public boolean isSyncEvent() {
        return value instanceof LogicalMessage m && LogicalMessage.SYNC_PREFIX.equals(m.prefix());
    }

    public NodeName origin() {
        return headers.originNode();
    }

    /** The version the change gives the rows it writes: its origin commit time and origin node. */
    public Version version() {
        return new Version(headers.originCommitMicros(), headers.originNode().value());
    }
}
