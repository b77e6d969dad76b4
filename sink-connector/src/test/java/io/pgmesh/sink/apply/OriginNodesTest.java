package io.pgmesh.sink.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.pgmesh.common.NodeName;
import org.junit.jupiter.api.Test;

class OriginNodesTest {

    @Test
    void aPgmeshOriginNamesTheNodeAfterThePrefix() {
        assertEquals("n2", OriginNodes.nodeOfOriginName(new NodeName("n2").originName()));
        assertEquals("east_1", OriginNodes.nodeOfOriginName("pgmesh_east_1"));
    }

    @Test
    void anyOtherOriginIsThisNode() {
        assertNull(OriginNodes.nodeOfOriginName("pg_16401"));
        assertNull(OriginNodes.nodeOfOriginName("spock_n2"));
        assertNull(OriginNodes.nodeOfOriginName("pgmesh"));
        assertNull(OriginNodes.nodeOfOriginName(null));
    }

    @Test
    void theRestOfTheNameIsTakenAsItIsAsPgmeshXactVersionDoes() {
        // pgmesh.xact_version: CASE WHEN roname LIKE 'pgmesh\_%' THEN substr(roname, 8); not a valid NodeName, still its node
        assertEquals("East", OriginNodes.nodeOfOriginName("pgmesh_East"));
        assertEquals("", OriginNodes.nodeOfOriginName("pgmesh_"));
    }
}
