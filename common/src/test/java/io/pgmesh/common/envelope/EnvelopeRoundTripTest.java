package io.pgmesh.common.envelope;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pgmesh.common.TableId;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.json.JsonConverter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class EnvelopeRoundTripTest {

    private static final TableId TABLE = new TableId("Sales Ü", "order\"s");

    private static final RowImage UPDATE = new RowImage(Operation.UPDATE, TABLE,
            List.of(ColumnValue.of("id", "integer", "10"),
                    ColumnValue.of("note", "text", "it's\na \"quote\" ✓"),
                    ColumnValue.of("gone", "text", null),
                    ColumnValue.unchangedToast("big", "text")),
            List.of(ColumnValue.of("id", "integer", "2")));

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void valuesSurviveTheJsonConverterWithAndWithoutSchemas(boolean schemas) {
        JsonConverter converter = converter(schemas, false);
        for (ChangeValue value : List.of(UPDATE,
                new RowImage(Operation.INSERT, TABLE, List.of(ColumnValue.of("id", "integer", "1")), null),
                new Truncation(TABLE, true, false),
                new LogicalMessage(LogicalMessage.DDL_PREFIX, "CREATE TABLE x()".getBytes(StandardCharsets.UTF_8), true),
                new LogicalMessage(LogicalMessage.HEARTBEAT_PREFIX, new byte[] {0, -1, 7}, false))) {
            byte[] bytes = converter.fromConnectData("pgmesh.n1", EnvelopeSchemas.VALUE, value.toStruct());
            SchemaAndValue back = converter.toConnectData("pgmesh.n1", bytes);
            assertEquals(value, ChangeValue.fromConnect(back.value()));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void keysSurviveTheJsonConverterWithAndWithoutSchemas(boolean schemas) {
        JsonConverter converter = converter(schemas, true);
        for (ChangeKey key : List.of(
                ChangeKey.row(TABLE, List.of(new KeyColumn("id", "10"), new KeyColumn("k2", null))),
                ChangeKey.unidentifiedRow(TABLE, "n1/0/16B3748/3"),
                ChangeKey.truncate(TABLE, "n1/0/16B3748/0"),
                ChangeKey.message("n2/0/AB/0"),
                ChangeKey.heartbeat("n1"))) {
            byte[] bytes = converter.fromConnectData("pgmesh.n1", EnvelopeSchemas.KEY, key.toStruct());
            assertEquals(key, ChangeKey.fromConnect(converter.toConnectData("pgmesh.n1", bytes).value()));
        }
    }

    @Test
    void everyValueUsesTheOneFixedSchema() {
        assertEquals(EnvelopeSchemas.VALUE, UPDATE.toStruct().schema());
        assertEquals(EnvelopeSchemas.VALUE, new Truncation(TABLE, false, false).toStruct().schema());
        assertEquals(EnvelopeSchemas.KEY, ChangeKey.heartbeat("n1").toStruct().schema());
        assertEquals(Integer.valueOf(EnvelopeSchemas.FORMAT_VERSION), EnvelopeSchemas.VALUE.version());
    }

    @Test
    void heartbeatMessagesAreHeartbeats() {
        assertEquals(Operation.HEARTBEAT, new LogicalMessage(LogicalMessage.HEARTBEAT_PREFIX, null, false).operation());
        assertEquals(Operation.MESSAGE, new LogicalMessage(LogicalMessage.DDL_PREFIX, null, true).operation());
        assertArrayEquals(new byte[0], new LogicalMessage("x", null, false).content());
    }

    @Test
    void foreignRecordsAreRefusedWithAClearError() {
        assertThrows(DataException.class, () -> ChangeValue.fromConnect("just a string"));
        assertThrows(DataException.class, () -> ChangeValue.fromConnect(Map.of("op", "explode")));
        assertThrows(DataException.class, () -> ChangeValue.fromConnect(Map.of("op", "insert", "schema", "s")));
        assertThrows(DataException.class, () -> ChangeKey.fromConnect(Map.of("kind", "row", "schema", "s", "table", "t")));
        Struct wrongType = new Struct(EnvelopeSchemas.VALUE).put("op", "delete");
        assertThrows(DataException.class, () -> ChangeValue.fromConnect(wrongType));
    }

    @Test
    void anUnchangedToastColumnCarriesNoValue() {
        assertThrows(IllegalArgumentException.class, () -> new ColumnValue("c", "text", "x", true));
        assertEquals(Arrays.asList(false, true, false), List.of(
                ColumnValue.unchangedToast("c", "text").isNull(), ColumnValue.of("c", "text", null).isNull(),
                ColumnValue.of("c", "text", "").isNull()));
    }

    private static JsonConverter converter(boolean schemas, boolean isKey) {
        JsonConverter converter = new JsonConverter();
        converter.configure(Map.of("schemas.enable", Boolean.toString(schemas)), isKey);
        return converter;
    }
}
