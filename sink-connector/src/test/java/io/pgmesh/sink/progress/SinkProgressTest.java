package io.pgmesh.sink.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgmesh.sink.conflict.SeenVector;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SinkProgressTest {

    @Test
    void theSeenVectorSurvivesItsJsonFormAndPostgresRewritingIt() {
        SeenVector seen = SeenVector.of(Map.of("n1", 1_795_000_000_000_000L, "n3", -5L));
        String json = SinkProgress.format(seen);
        assertEquals("{\"n1\":1795000000000000,\"n3\":-5}", json);
        assertEquals(seen.asMap(), SinkProgress.parse(json, 0).asMap());
        assertEquals(seen.asMap(), SinkProgress.parse("{\"n1\": 1795000000000000, \"n3\": -5}", 0).asMap());
        assertEquals(Map.of(), SinkProgress.parse("{}", 0).asMap());
        assertEquals(Map.of(), SinkProgress.parse(null, 0).asMap());
    }
}
