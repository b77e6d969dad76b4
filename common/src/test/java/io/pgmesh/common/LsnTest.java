package io.pgmesh.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LsnTest {

    @Test
    void parsesAndPrintsPostgresTextForm() {
        Lsn lsn = Lsn.parse("16/B374D848");
        assertEquals(0x16_B374D848L, lsn.value());
        assertEquals("16/B374D848", lsn.toString());
        assertEquals("0/0", Lsn.INVALID.toString());
    }

    @Test
    void comparesUnsignedSoTheTopHalfOfTheRangeSortsLast() {
        Lsn high = new Lsn(0xFFFF_FFFF_0000_0000L);
        Lsn low = Lsn.parse("1/0");
        assertTrue(high.isAfter(low));
        assertTrue(low.isBefore(high));
        assertEquals(high, Lsn.max(low, high));
        assertEquals("FFFFFFFF/0", high.toString());
    }

    @Test
    void refusesTextThatIsNotAnLsn() {
        assertThrows(IllegalArgumentException.class, () -> Lsn.parse("16B374D848"));
        assertThrows(IllegalArgumentException.class, () -> Lsn.parse("1/2/3"));
        assertThrows(IllegalArgumentException.class, () -> Lsn.parse("G/1"));
        assertThrows(IllegalArgumentException.class, () -> Lsn.parse("100000000/0"));
        assertThrows(IllegalArgumentException.class, () -> Lsn.parse("/1"));
    }
}
