package io.pgmesh.source.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.Lsn;
import io.pgmesh.source.capture.StreamPosition;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.json.JsonConverter;
import org.junit.jupiter.api.Test;

class SourceOffsetsTest {

    @Test
    void aPositionSurvivesTheRoundTripThroughConnectsJsonOffsets() {
        StreamPosition position = new StreamPosition(new Lsn(0xFFFF_FFFF_0000_0010L), 7);
        Map<String, Object> stored = SourceOffsets.offset(position);
        Map<String, Object> asReadBack = Map.of("commit_lsn", ((Long) stored.get("commit_lsn")), "seq", 7L);
        assertEquals(Optional.of(position), SourceOffsets.position(asReadBack));
    }

    @Test
    void thePartitionIsStoredUnderTheBytesAnOffsetResetWritesItsTombstoneUnder() {
        // Connect's offset store keys offsets by the JSON bytes of [connector, partition]; a reset
        // reads the partition back (a HashMap) and writes a tombstone under its bytes again
        try (JsonConverter converter = new JsonConverter()) {
            converter.configure(Map.of("schemas.enable", "false", "converter.type", "key"));
            for (String slot : List.of("pgmesh_n1", "s", "a_much_longer_slot_name_than_usual")) {
                byte[] stored = converter.fromConnectData("offsets", null,
                        List.of("src-n1", SourceOffsets.partition("n1", slot)));
                List<?> readBack = (List<?>) converter.toConnectData("offsets", stored).value();
                Map<?, ?> partition = new HashMap<>((Map<?, ?>) readBack.get(1));
                byte[] tombstoneKey = converter.fromConnectData("offsets", null, List.of("src-n1", partition));
                assertArrayEquals(stored, tombstoneKey, new String(stored, StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void noOffsetMeansStartFromTheSlotAndAForeignOffsetIsRefused() {
        assertTrue(SourceOffsets.position(null).isEmpty());
        assertTrue(SourceOffsets.position(Map.of()).isEmpty());
        assertThrows(ConnectException.class, () -> SourceOffsets.position(Map.of("lsn", "0/1")));
    }
}
