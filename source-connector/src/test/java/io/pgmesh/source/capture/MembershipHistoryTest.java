package io.pgmesh.source.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.Lsn;
import io.pgmesh.source.capture.MembershipHistory.Entry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MembershipHistoryTest {

    private static final SetMembership DEFAULT = new SetMembership("default", true, true, true, true);
    private static final SetMembership LATE = new SetMembership("late", true, true, true, true);
    private static final SetMembership INSERTS = new SetMembership("inserts", true, false, false, false);

    private static List<String> sets(MembershipHistory h, String lsn) {
        return h.at(Lsn.parse(lsn)).stream().map(SetMembership::set).toList();
    }

    @Test
    void aTableMovedToAnotherSetKeepsItsOldSetForChangesCommittedBeforeTheMove() {
        // now in "late" only: removed from default at 0/200, added to late at 0/300
        MembershipHistory h = new MembershipHistory(Map.of("pgmesh_late", LATE), List.of(
                new Entry(1, "pgmesh_default", false, DEFAULT, Lsn.parse("0/200")),
                new Entry(2, "pgmesh_late", true, LATE, Lsn.parse("0/300"))));
        assertEquals(List.of("default"), sets(h, "0/100"));
        assertEquals(List.of(), sets(h, "0/250"));
        assertEquals(List.of("late"), sets(h, "0/300"));
        assertEquals(List.of("late"), sets(h, "0/400"));
    }

    @Test
    void changesNotDecodedYetAreNotInEffectAnywhere() {
        MembershipHistory h = new MembershipHistory(Map.of("pgmesh_late", LATE), List.of(
                new Entry(1, "pgmesh_default", false, DEFAULT, null),
                new Entry(2, "pgmesh_late", true, LATE, null)));
        assertEquals(List.of("default"), sets(h, "FF/0"));
        MembershipHistory decoded = h.decoded(1, Lsn.parse("0/500")).orElseThrow().decoded(2, Lsn.parse("0/500"))
                .orElseThrow();
        assertEquals(List.of("default"), sets(decoded, "0/4FF"));
        assertEquals(List.of("late"), sets(decoded, "0/500"));
        assertTrue(h.decoded(3, Lsn.parse("0/500")).isEmpty(), "an entry made after the read is not in it");
    }

    @Test
    void addedRemovedAndAddedAgainIsUndoneLatestFirstWithTheFlagsTheSetHadThen() {
        MembershipHistory h = new MembershipHistory(Map.of("pgmesh_inserts", INSERTS, "pgmesh_default", DEFAULT),
                List.of(new Entry(1, "pgmesh_inserts", true, INSERTS, Lsn.parse("0/100")),
                        new Entry(2, "pgmesh_inserts", false, new SetMembership("inserts", true, true, false, false),
                                Lsn.parse("0/200")),
                        new Entry(3, "pgmesh_inserts", true, INSERTS, Lsn.parse("0/300"))));
        assertEquals(List.of("default"), sets(h, "0/50"));
        assertEquals(List.of(new SetMembership("inserts", true, true, false, false), DEFAULT),
                h.at(Lsn.parse("0/150")).stream().sorted(java.util.Comparator.comparing(SetMembership::set).reversed())
                        .toList());
        assertEquals(List.of("default"), sets(h, "0/250"));
        assertEquals(List.of("default", "inserts"), sets(h, "0/300"));
    }
}
