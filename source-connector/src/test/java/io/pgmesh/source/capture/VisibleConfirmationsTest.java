package io.pgmesh.source.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgmesh.common.Lsn;
import org.junit.jupiter.api.Test;

class VisibleConfirmationsTest {

    private final VisibleConfirmations confirmations = new VisibleConfirmations();

    @Test
    void aConfirmationIsReleasedOnlyOnceTheLastStableOffsetPassedItsRecords() {
        confirmations.acknowledged(new Lsn(100), 4);
        confirmations.acknowledged(new Lsn(200), 9);
        assertEquals(Lsn.INVALID, confirmations.visible(4), "offset 4 itself is not readable yet");
        assertEquals(new Lsn(100), confirmations.visible(5));
        assertEquals(9, confirmations.waitingFor());
        assertEquals(new Lsn(100), confirmations.visible(9));
        assertEquals(new Lsn(200), confirmations.visible(10));
        assertEquals(-1, confirmations.waitingFor());
    }

    @Test
    void aHangingTransactionHoldsTheSlotForEverythingAfterIt() {
        confirmations.acknowledged(new Lsn(100), 4);
        confirmations.acknowledged(new Lsn(200), 20);
        confirmations.acknowledged(new Lsn(300), 30);
        // the partition keeps a transaction open from offset 3: its last stable offset stays there
        for (int look = 0; look < 5; look++) {
            assertEquals(Lsn.INVALID, confirmations.visible(3));
        }
        assertEquals(4, confirmations.waitingFor());
        assertEquals(new Lsn(300), confirmations.visible(31), "aborted, the partition is readable again");
    }

    @Test
    void anAcknowledgementArrivingOutOfOrderWaitsForTheHighestOffsetAcknowledgedSoFar() {
        // the record at 12 was acknowledged before the one at 8 that completed the confirmable LSN
        confirmations.acknowledged(Lsn.INVALID, 12);
        confirmations.acknowledged(new Lsn(100), 8);
        assertEquals(Lsn.INVALID, confirmations.visible(9));
        assertEquals(new Lsn(100), confirmations.visible(13));
    }

    @Test
    void recordsConnectDroppedCountAsWrittenWhereTheOnesBeforeThemAre() {
        confirmations.acknowledged(new Lsn(100), 5);
        confirmations.acknowledged(new Lsn(150), -1);
        assertEquals(new Lsn(150), confirmations.visible(6));
        assertEquals(new Lsn(150), confirmations.visible(2), "a lower look never takes a release back");
    }
}
