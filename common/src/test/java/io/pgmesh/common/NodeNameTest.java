package io.pgmesh.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NodeNameTest {

    @Test
    void namesTheReplicationOriginPeersApplyUnder() {
        assertEquals("pgmesh_n1", new NodeName("n1").originName());
        assertEquals(Optional.of(new NodeName("eu_west_2")), NodeName.fromOriginName("pgmesh_eu_west_2"));
    }

    @Test
    void foreignOriginNamesAreNotNodes() {
        assertTrue(NodeName.fromOriginName("pg_16384").isEmpty());
        assertTrue(NodeName.fromOriginName("pgmesh_").isEmpty());
        assertTrue(NodeName.fromOriginName("pgmesh_Bad-Name").isEmpty());
        assertTrue(NodeName.fromOriginName(null).isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "N1", "n-1", "n 1", "n1;drop", "abcdefghijklmnopqrstuvwxyz0123456", "nœud"})
    void refusesNamesOutsideTheAlphabet(String name) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new NodeName(name));
        assertTrue(e.getMessage().contains("1 to 32 characters"));
    }
}
