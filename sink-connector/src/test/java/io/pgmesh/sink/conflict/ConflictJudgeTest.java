package io.pgmesh.sink.conflict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.sink.conflict.Conflict.Resolution;
import io.pgmesh.sink.conflict.ConflictJudge.Change;
import io.pgmesh.sink.conflict.ConflictJudge.Outcome;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConflictJudgeTest {

    private static final Version LOCAL_N1_T10 = new Version(10, "n1");
    private static final Version REMOTE_N2_T20 = new Version(20, "n2");
    private static final Version REMOTE_N2_T5 = new Version(5, "n2");

    private static Optional<Conflict> judge(Change change, Version remote, Outcome outcome, SeenVector seen) {
        return ConflictJudge.judge(change, remote, outcome, seen);
    }

    @Test
    void versionsOrderByTimeThenNodeAndUnknownTimesLose() {
        assertTrue(new Version(2, "a").isNewerThan(new Version(1, "z")));
        assertTrue(new Version(1, "n2").isNewerThan(new Version(1, "n1")));
        assertTrue(new Version(Long.MIN_VALUE + 1, "a").isNewerThan(new Version(Version.UNKNOWN_TIME, "z")));
    }

    @Test
    void aSequentialUpdateOfARowThePeerHadSeenIsNoConflict() {
        SeenVector seen = SeenVector.of(Map.of("n1", 10L));
        assertEquals(Optional.empty(), judge(Change.UPDATE, REMOTE_N2_T20, new Outcome(LOCAL_N1_T10, null, true), seen));
    }

    @Test
    void aConcurrentUpdateIsLoggedOnTheNodeWhereItWinsAndWhereItLoses() {
        SeenVector nothingSeen = new SeenVector();
        assertEquals(Optional.of(new Conflict(ConflictType.UPDATE_ORIGIN_DIFFERS, Resolution.APPLY_REMOTE, LOCAL_N1_T10)),
                judge(Change.UPDATE, REMOTE_N2_T20, new Outcome(LOCAL_N1_T10, null, true), nothingSeen));
        assertEquals(Optional.of(new Conflict(ConflictType.UPDATE_ORIGIN_DIFFERS, Resolution.KEEP_LOCAL, LOCAL_N1_T10)),
                judge(Change.UPDATE, REMOTE_N2_T5, new Outcome(LOCAL_N1_T10, null, false), nothingSeen));
    }

    @Test
    void aRemoteChangeThatLosesIsAlwaysLoggedEvenWhenThePeerHadSeenTheRow() {
        SeenVector seen = SeenVector.of(Map.of("n1", 10L));
        assertEquals(ConflictType.UPDATE_ORIGIN_DIFFERS,
                judge(Change.UPDATE, REMOTE_N2_T5, new Outcome(LOCAL_N1_T10, null, false), seen).orElseThrow().type());
        assertEquals(ConflictType.DELETE_EXISTS,
                judge(Change.DELETE, REMOTE_N2_T5, new Outcome(LOCAL_N1_T10, null, false), seen).orElseThrow().type());
    }

    @Test
    void aRedeliveredChangeMeetingItselfIsNoConflict() {
        assertEquals(Optional.empty(), judge(Change.INSERT, REMOTE_N2_T20,
                new Outcome(REMOTE_N2_T20, null, false), new SeenVector()));
        assertEquals(Optional.empty(), judge(Change.DELETE, REMOTE_N2_T20,
                new Outcome(null, REMOTE_N2_T20, false), new SeenVector()));
    }

    @Test
    void insertsThatFindARowAreConflictsWhoeverWins() {
        assertEquals(new Conflict(ConflictType.INSERT_EXISTS, Resolution.APPLY_REMOTE, LOCAL_N1_T10),
                judge(Change.INSERT, REMOTE_N2_T20, new Outcome(LOCAL_N1_T10, null, true), SeenVector.of(Map.of("n1", 99L)))
                        .orElseThrow());
        assertEquals(new Conflict(ConflictType.INSERT_EXISTS, Resolution.KEEP_LOCAL, LOCAL_N1_T10),
                judge(Change.INSERT, REMOTE_N2_T5, new Outcome(LOCAL_N1_T10, null, false), new SeenVector()).orElseThrow());
    }

    @Test
    void deleteUpdateRacesAreResolvedByTheTombstoneAndLogged() {
        Version tombstone = new Version(15, "n1");
        assertEquals(new Conflict(ConflictType.UPDATE_DELETED, Resolution.KEEP_LOCAL, tombstone),
                judge(Change.UPDATE, REMOTE_N2_T5, new Outcome(null, tombstone, false), new SeenVector()).orElseThrow());
        assertEquals(new Conflict(ConflictType.UPDATE_DELETED, Resolution.APPLY_REMOTE, tombstone),
                judge(Change.UPDATE, REMOTE_N2_T20, new Outcome(null, tombstone, true), new SeenVector()).orElseThrow());
        assertEquals(Optional.empty(), judge(Change.INSERT, REMOTE_N2_T20, new Outcome(null, tombstone, true),
                SeenVector.of(Map.of("n1", 15L))), "a re-insert after a delete the peer had seen");
    }

    @Test
    void changesThatArriveBeforeTheirRowAreLogged() {
        assertEquals(new Conflict(ConflictType.UPDATE_MISSING, Resolution.APPLY_REMOTE, null),
                judge(Change.UPDATE, REMOTE_N2_T20, new Outcome(null, null, true), new SeenVector()).orElseThrow());
        assertEquals(new Conflict(ConflictType.DELETE_MISSING, Resolution.APPLY_REMOTE, null),
                judge(Change.DELETE, REMOTE_N2_T20, new Outcome(null, null, false), new SeenVector()).orElseThrow());
        assertEquals(Optional.empty(), judge(Change.INSERT, REMOTE_N2_T20, new Outcome(null, null, true), new SeenVector()));
    }

    @Test
    void aRowWithoutATimeIsNeverCalledConcurrent() {
        Version frozen = new Version(Version.UNKNOWN_TIME, "n1");
        assertEquals(Optional.empty(), judge(Change.UPDATE, REMOTE_N2_T20, new Outcome(frozen, null, true), new SeenVector()));
    }

    @Test
    void rowsFromBeforeReplicationStartedAreNotInConflict() {
        SeenVector startedAt15 = SeenVector.of(Map.of(), 15);
        assertEquals(Optional.empty(), judge(Change.UPDATE, REMOTE_N2_T20, new Outcome(LOCAL_N1_T10, null, true), startedAt15));
        assertTrue(judge(Change.UPDATE, REMOTE_N2_T20, new Outcome(new Version(16, "n1"), null, true), startedAt15)
                .isPresent());
    }

    @Test
    void theSeenVectorKeepsTheLatestTimePerOrigin() {
        SeenVector seen = new SeenVector();
        seen.saw("n1", 30);
        seen.saw("n1", 20);
        assertTrue(seen.covers(new Version(30, "n1")));
        assertTrue(!seen.covers(new Version(31, "n1")) && !seen.covers(new Version(1, "n3")));
        assertEquals(Map.of("n1", 30L), seen.asMap());
    }
}
