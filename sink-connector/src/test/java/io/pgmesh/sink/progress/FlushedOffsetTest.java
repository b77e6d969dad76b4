package io.pgmesh.sink.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgmesh.common.Lsn;
import org.junit.jupiter.api.Test;

class FlushedOffsetTest {

    private final FlushedOffset offsets = new FlushedOffset();

    @Test
    void everythingFlushedReleasesTheAppliedOffsetAtOnce() {
        assertEquals(10, offsets.observe(10, new Lsn(500), new Lsn(500)));
        assertEquals(12, offsets.observe(12, new Lsn(600), new Lsn(650)));
    }

    @Test
    void anUnflushedCommitHoldsItsOffsetBackUntilTheFlushPassesItsPosition() {
        assertEquals(-1, offsets.observe(10, new Lsn(500), new Lsn(400)));
        assertEquals(-1, offsets.observe(15, new Lsn(700), new Lsn(499)), "flush short of the first look's insert");
        assertEquals(10, offsets.observe(15, new Lsn(700), new Lsn(650)), "the first look's offset, kept waiting");
        assertEquals(15, offsets.observe(15, new Lsn(700), new Lsn(700)));
    }

    @Test
    void aLaterLookReleasesTheOffsetTheLookBeforeRemembered() {
        assertEquals(-1, offsets.observe(10, new Lsn(500), new Lsn(400)));
        assertEquals(10, offsets.observe(20, new Lsn(900), new Lsn(500)));
        assertEquals(20, offsets.observe(20, new Lsn(900), new Lsn(900)));
    }

    @Test
    void nothingAppliedReleasesNothingAndTheOffsetNeverGoesBackExceptOnReset() {
        assertEquals(-1, offsets.observe(-1, new Lsn(500), new Lsn(500)));
        assertEquals(30, offsets.observe(30, new Lsn(500), new Lsn(500)));
        assertEquals(30, offsets.observe(25, new Lsn(800), new Lsn(700)));
        offsets.reset(20);
        assertEquals(20, offsets.safe());
        assertEquals(20, offsets.observe(40, new Lsn(900), new Lsn(850)));
        assertEquals(40, offsets.observe(40, new Lsn(900), new Lsn(900)));
    }
}
