package io.pgmesh.sink.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.sink.conflict.SeenVector;
import io.pgmesh.sink.conflict.Version;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PartitionPositionTest {

    private static final long START_MICROS = 1_000_000;
    private final PartitionPosition p = new PartitionPosition(START_MICROS, 0);

    @Test
    void withNoStoredPositionTheFirstDeliveredOffsetIsWhereItResumes() {
        p.delivered(17);
        p.loaded(Optional.empty());
        assertTrue(p.checked());
        assertEquals(Optional.empty(), p.resumeAfterLoad(Optional.empty(), 17));
        assertEquals(-1, p.durable());
        assertTrue(p.seen().covers(new Version(START_MICROS - 1, "n3")), "what was there before the sink began is seen");
        assertFalse(p.seen().covers(new Version(START_MICROS + 1, "n3")));
    }

    @Test
    void aStoredPositionElsewhereThanKafkaRewindsThePartitionThere() {
        p.delivered(50);
        SeenVector seen = SeenVector.of(Map.of("n3", 5L));
        p.loaded(Optional.of(new SinkProgress.Position(40, seen)));
        assertEquals(Optional.of(40L), p.resumeAfterLoad(Optional.of(40L), 50));
        assertEquals(40, p.durable());
        assertTrue(p.passedOver(39));
        assertFalse(p.passedOver(40));
        assertTrue(p.seen().covers(new Version(5, "n3")));
    }

    @Test
    void afterALostConnectionTheDatabaseDecidesAgainWhereToResume() {
        p.delivered(10);
        p.loaded(Optional.empty());
        for (long offset = 10; offset < 20; offset++) {
            p.processed(offset);
        }
        p.committed(15, p.seen().copy(), true, 1);
        p.connectionLost();
        assertFalse(p.checked());
        assertTrue(p.resumedBefore());
        // the node crashed and forgot what it committed after offset 12
        p.loaded(Optional.of(new SinkProgress.Position(12, new SeenVector())));
        assertEquals(Optional.of(12L), p.resumeAfterLoad(Optional.of(12L), 20));
        assertEquals(12, p.durable());
        assertFalse(p.passedOver(12));
    }

    @Test
    void aRollbackGoesBackToTheCommittedPositionOrToTheFirstDeliveredOffset() {
        p.delivered(10);
        p.loaded(Optional.empty());
        p.processed(10);
        p.seen().saw("n3", START_MICROS + 5);
        p.forgetOpen();
        assertFalse(p.seen().covers(new Version(START_MICROS + 5, "n3")), "what the undone records saw is undone");
        assertEquals(10, p.rewind(), "no transaction ended yet: where this session began");

        p.processed(10);
        p.seen().saw("n3", START_MICROS + 5);
        p.committed(11, p.seen().copy(), true, 1);
        p.processed(11);
        p.seen().saw("n3", START_MICROS + 9);
        p.forgetOpen();
        assertEquals(11, p.rewind());
        assertTrue(p.seen().covers(new Version(START_MICROS + 5, "n3")));
        assertFalse(p.seen().covers(new Version(START_MICROS + 9, "n3")));
    }

    @Test
    void transactionsThatCommittedBeforeAFailureInTheirExchangeMoveThePositionOnlyForward() {
        p.delivered(0);
        p.loaded(Optional.empty());
        p.committed(5, p.seen().copy(), true, 1);
        assertFalse(p.committedBeyond(new SinkProgress.Position(5, new SeenVector())));
        assertTrue(p.committedBeyond(new SinkProgress.Position(9, SeenVector.of(Map.of("n1", 3L)))));
        assertEquals(9, p.durable());
        assertEquals(9, p.rewind());
        assertTrue(p.seen().covers(new Version(3, "n1")));
    }

    @Test
    void passingRecordsOverStoresThePositionOnlyOnceTheIntervalPassed() {
        p.delivered(0);
        p.loaded(Optional.empty());
        p.committed(3, p.seen().copy(), true, 100);
        assertFalse(p.storeDue(1_000, 500), "stored with its commit");
        p.committed(8, p.seen().copy(), false, 200);
        assertFalse(p.storeDue(400, 500));
        assertTrue(p.storeDue(600, 500));
        p.stored(600);
        assertFalse(p.storeDue(2_000, 500), "nothing new since");
    }
}
