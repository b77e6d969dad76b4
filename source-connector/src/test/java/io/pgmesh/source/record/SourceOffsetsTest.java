package io.pgmesh.source.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.Lsn;
import io.pgmesh.source.capture.StreamPosition;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.connect.errors.ConnectException;
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
    void noOffsetMeansStartFromTheSlotAndAForeignOffsetIsRefused() {
        assertTrue(SourceOffsets.position(null).isEmpty());
        assertTrue(SourceOffsets.position(Map.of()).isEmpty());
        assertThrows(ConnectException.class, () -> SourceOffsets.position(Map.of("lsn", "0/1")));
    }
}
