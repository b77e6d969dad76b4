package io.pgmesh.source.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgmesh.common.Lsn;
import org.junit.jupiter.api.Test;

class AcknowledgedPositionTest {

    @Test
    void theSlotNeverMovesPastARecordKafkaHasNotAcknowledged() {
        AcknowledgedPosition<Object> acks = new AcknowledgedPosition<>();
        Object a = new Object();
        Object b = new Object();
        Object c = new Object();
        Object d = new Object();
        acks.submitted(a, null);
        acks.submitted(b, Lsn.parse("0/20"));
        acks.submitted(c, null);
        acks.submitted(d, Lsn.parse("0/40"));

        acks.acknowledged(b);
        acks.acknowledged(d);
        assertEquals(Lsn.INVALID, acks.confirmable());
        acks.acknowledged(a);
        assertEquals(Lsn.parse("0/20"), acks.confirmable());
        acks.acknowledged(c);
        assertEquals(Lsn.parse("0/40"), acks.confirmable());
        assertEquals(0, acks.inFlight());
    }

    @Test
    void recordsAreMatchedByIdentityNotByEquality() {
        AcknowledgedPosition<String> acks = new AcknowledgedPosition<>();
        String first = new String("same");
        String second = new String("same");
        acks.submitted(first, Lsn.parse("0/1"));
        acks.submitted(second, Lsn.parse("0/2"));
        acks.acknowledged(second);
        assertEquals(Lsn.INVALID, acks.confirmable());
        acks.acknowledged(first);
        assertEquals(Lsn.parse("0/2"), acks.confirmable());
        acks.acknowledged(new String("unknown"));
        assertEquals(Lsn.parse("0/2"), acks.confirmable());
    }
}
