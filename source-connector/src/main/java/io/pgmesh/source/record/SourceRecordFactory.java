package io.pgmesh.source.record;

import io.pgmesh.common.envelope.EnvelopeSchemas;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.source.capture.ChangeEvent;
import java.util.Map;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.source.SourceRecord;

/** Builds the Connect record of a change event: fixed schemas, headers, offset, partition 0. */
public final class SourceRecordFactory {

    private final Map<String, String> sourcePartition;
    private final String topic;

    /**
     * @param sourcePartition kept as given, never copied: Connect stores offsets under the JSON
     *                        bytes of the partition in its iteration order, so the records must carry
     *                        the very map (and order) the task reads its offset back with. A copy
     *                        through {@code Map.copyOf} reorders the keys in about half of all JVMs,
     *                        and the task then never finds its offset.
     */
    public SourceRecordFactory(Map<String, String> sourcePartition, String topic) {
        this.sourcePartition = sourcePartition;
        this.topic = topic;
    }

    /** The record; a row delete becomes a tombstone: no value and no value schema, as converters expect. */
    public SourceRecord toRecord(ChangeEvent event) {
        ConnectHeaders headers = new ConnectHeaders();
        event.headers().writeTo(headers);
        boolean tombstone = event.value() == null;
        boolean snapshot = event.headers().snapshot();
        Map<String, Object> offset = snapshot && event.headers().op() != Operation.MESSAGE
                ? SourceOffsets.partialSnapshotOffset(event.position()) : SourceOffsets.offset(event.position());
        // a snapshot row's commit time may be long past (or unknown, 0): time-based retention must not
        // take it for old, so its record is stamped with the time it was copied
        long timestamp = snapshot ? System.currentTimeMillis() : event.headers().originCommitMicros() / 1000;
        return new SourceRecord(sourcePartition, offset, topic, 0,
                EnvelopeSchemas.KEY, event.key().toStruct(),
                tombstone ? null : EnvelopeSchemas.VALUE, tombstone ? null : event.value().toStruct(),
                timestamp, headers);
    }
}
