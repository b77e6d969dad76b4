package io.pgmesh.source.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.TableId;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.ChangeKey;
import io.pgmesh.common.envelope.ChangeValue;
import io.pgmesh.common.envelope.ColumnValue;
import io.pgmesh.common.envelope.KeyColumn;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.common.envelope.RowImage;
import io.pgmesh.source.capture.ChangeEvent;
import io.pgmesh.source.capture.StreamPosition;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SourceRecordFactoryTest {

    private static final TableId TABLE = new TableId("public", "t");
    private static final SourceRecordFactory FACTORY =
            new SourceRecordFactory(SourceOffsets.partition("n1", "pgmesh_n1"), "pgmesh.n1");

    private static ChangeEvent event(Operation op, ChangeValue value) {
        ChangeHeaders headers = new ChangeHeaders(new NodeName("n1"), new NodeName("n1"), 1_700_000_000_000_123L,
                Lsn.parse("0/10"), Lsn.parse("0/10"), 5L, 2, false, op, new TreeSet<>(List.of("default")), null);
        return new ChangeEvent(headers, ChangeKey.row(TABLE, List.of(new KeyColumn("id", "1"))), value, null);
    }

    @Test
    void recordsCarryTheVeryPartitionTheTaskLooksItsOffsetUpWith() {
        // Connect keys offsets by the partition's JSON bytes in iteration order; an immutable copy
        // (Map.copyOf) reverses the keys in about half of all JVMs, and the task then never found
        // its offset again. Only the very same map is safe whatever the JVM.
        Map<String, String> partition = SourceOffsets.partition("n1", "pgmesh_n1");
        SourceRecord record = new SourceRecordFactory(partition, "pgmesh.n1").toRecord(event(Operation.DELETE, null));
        assertSame(partition, record.sourcePartition());
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void rowsAndTombstonesConvertWithAnyJsonSetting(boolean schemas) {
        JsonConverter values = new JsonConverter();
        values.configure(Map.of("schemas.enable", Boolean.toString(schemas)), false);
        RowImage image = new RowImage(Operation.INSERT, TABLE, List.of(ColumnValue.of("id", "integer", "1")), null);

        SourceRecord insert = FACTORY.toRecord(event(Operation.INSERT, image));
        byte[] bytes = values.fromConnectData(insert.topic(), insert.valueSchema(), insert.value());
        assertEquals(image, ChangeValue.fromConnect(values.toConnectData("pgmesh.n1", bytes).value()));

        SourceRecord delete = FACTORY.toRecord(event(Operation.DELETE, null));
        assertNull(delete.valueSchema());
        assertNull(values.fromConnectData(delete.topic(), delete.valueSchema(), delete.value()),
                "a delete is a real tombstone: a null Kafka value");
    }

    @ParameterizedTest
    @ValueSource(ints = {0})
    void recordsCarryPositionPartitionAndMillisecondTimestamp(int partition) {
        SourceRecord r = FACTORY.toRecord(event(Operation.DELETE, null));
        assertEquals(partition, r.kafkaPartition());
        assertEquals(Map.of("node", "n1", "slot", "pgmesh_n1"), r.sourcePartition());
        assertEquals(SourceOffsets.offset(new StreamPosition(Lsn.parse("0/10"), 2)), r.sourceOffset());
        assertEquals(1_700_000_000_000L, r.timestamp());
        assertEquals("delete", r.headers().lastWithName(ChangeHeaders.OP).value());
    }
}
