package io.pgmesh.common.envelope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.apicurio.registry.utils.converter.avro.AvroData;
import io.apicurio.registry.utils.converter.avro.AvroDataConfig;
import io.pgmesh.common.TableId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

/**
 * The envelope under Avro, as a Connect Avro converter sees it: the key and value schemas map to
 * valid Apache Avro schemas, the same one for every table and every kind of change (so a registry
 * holds one subject version per topic), and records survive the mapping and Avro's binary encoding
 * unchanged. The mapping is Apicurio's {@code AvroData}, a fork of the one in Confluent's
 * AvroConverter; the registry round trip itself is not exercised (no registry runs in the build).
 */
class EnvelopeAvroTest {

    private static final TableId TABLE = new TableId("Sales Ü", "order\"s");
    private final AvroData avro = new AvroData(new AvroDataConfig.Builder().with("schemas.cache.config", 10).build());

    @Test
    void theEnvelopeSchemasAreValidAvroSchemasThatNoTableChanges() {
        for (org.apache.kafka.connect.data.Schema connect : List.of(EnvelopeSchemas.KEY, EnvelopeSchemas.VALUE)) {
            Schema schema = avro.fromConnectSchema(connect);
            Schema parsed = new Schema.Parser().parse(schema.toString());
            assertEquals(schema, parsed);
            assertEquals(Schema.Type.RECORD, parsed.getType());
            assertTrue(parsed.getFullName().startsWith("io.pgmesh."), parsed.getFullName());
        }
        Schema one = avro.fromConnectSchema(new RowImage(Operation.INSERT, TABLE,
                List.of(ColumnValue.of("id", "integer", "1")), null).toStruct().schema());
        Schema other = avro.fromConnectSchema(new Truncation(new TableId("public", "other"), false, true).toStruct()
                .schema());
        assertEquals(one, other, "one value schema for every table and kind of change");
    }

    @Test
    void valuesAndKeysRoundTripThroughAvroUnchanged() throws IOException {
        for (ChangeValue value : List.of(
                new RowImage(Operation.UPDATE, TABLE, List.of(ColumnValue.of("id", "integer", "10"),
                        ColumnValue.of("note", "text", "it's\na \"quote\" ✓"), ColumnValue.of("gone", "text", null),
                        ColumnValue.unchangedToast("big", "text")), List.of(ColumnValue.of("id", "integer", "2"))),
                new RowImage(Operation.INSERT, TABLE, List.of(ColumnValue.of("id", "integer", "1")), null),
                new Truncation(TABLE, true, false),
                new LogicalMessage(LogicalMessage.DDL_PREFIX, "CREATE TABLE x()".getBytes(StandardCharsets.UTF_8), true),
                new LogicalMessage(LogicalMessage.HEARTBEAT_PREFIX, new byte[] {0, -1, 7}, false))) {
            Object back = roundTrip(EnvelopeSchemas.VALUE, value.toStruct());
            assertEquals(value, ChangeValue.fromConnect(back));
        }
        for (ChangeKey key : List.of(ChangeKey.row(TABLE, List.of(new KeyColumn("id", "10"), new KeyColumn("k2", null))),
                ChangeKey.unidentifiedRow(TABLE, "n1/0/16B3748/3"), ChangeKey.message("n2/0/AB/0"),
                ChangeKey.heartbeat("n1"))) {
            assertEquals(key, ChangeKey.fromConnect(roundTrip(EnvelopeSchemas.KEY, key.toStruct())));
        }
    }

    /** Connect data to Avro, to Avro's binary encoding, and back, as a converter and its consumer would. */
    private Object roundTrip(org.apache.kafka.connect.data.Schema connectSchema, Object value) throws IOException {
        Schema schema = avro.fromConnectSchema(connectSchema);
        Object datum = avro.fromConnectData(connectSchema, value);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
        new GenericDatumWriter<>(schema).write(datum, encoder);
        encoder.flush();
        Object read = new GenericDatumReader<>(schema).read(null,
                DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
        return avro.toConnectData(schema, read).value();
    }
}
