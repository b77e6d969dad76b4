package io.pgmesh.sink.record;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.sink.config.PgmeshSinkConfig.OriginFilter;
import io.pgmesh.sink.record.RecordFilter.Message;
import io.pgmesh.sink.record.RecordFilter.Verdict;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class RecordFilterTest {

    private static final NodeName N1 = new NodeName("n1");
    private static final NodeName N2 = new NodeName("n2");
    private static final NodeName N3 = new NodeName("n3");
    private final RecordFilter filter = new RecordFilter(N2, OriginFilter.TOPIC_OWNER, Set.of("default", "ddl_sql"));

    private static ChangeHeaders headers(NodeName origin, Operation op, Lsn lsn, String... sets) {
        return new ChangeHeaders(N1, origin, 1L, lsn, lsn, 7L, 0, true, op, new TreeSet<>(Set.of(sets)), null);
    }

    @Test
    void rowChangesAndDdlAreJudgedByOriginSetAndProgress() {
        Lsn at = Lsn.parse("0/100");
        assertEquals(Verdict.APPLY, filter.verdict(headers(N1, Operation.INSERT, at, "default"), Message.OTHER, N1, Lsn.INVALID));
        assertEquals(Verdict.APPLY, filter.verdict(headers(N1, Operation.MESSAGE, at, "ddl_sql"), Message.DDL, N1, Lsn.INVALID));
        assertEquals(Verdict.OWN_ORIGIN, filter.verdict(headers(N2, Operation.MESSAGE, at, "ddl_sql"), Message.DDL, N1, Lsn.INVALID));
        assertEquals(Verdict.FORWARDED, filter.verdict(headers(N3, Operation.MESSAGE, at, "ddl_sql"), Message.DDL, N1, Lsn.INVALID));
        assertEquals(Verdict.NOT_SUBSCRIBED, filter.verdict(headers(N1, Operation.MESSAGE, at, "audit"), Message.DDL, N1, Lsn.INVALID));
        assertEquals(Verdict.NOT_SUBSCRIBED, filter.verdict(headers(N1, Operation.UPDATE, at, "audit"), Message.OTHER, N1, Lsn.INVALID));
        assertEquals(Verdict.NOT_SUBSCRIBED, filter.verdict(headers(N1, Operation.DELETE, at), Message.OTHER, N1, Lsn.INVALID));
        assertEquals(Verdict.ALREADY_APPLIED, filter.verdict(headers(N1, Operation.MESSAGE, at, "ddl_sql"), Message.DDL, N1, at));
        assertEquals(Verdict.ALREADY_APPLIED, filter.verdict(headers(N1, Operation.INSERT, at, "default"), Message.OTHER, N1,
                Lsn.parse("0/200")));
    }

    @Test
    void reseedingAppliesEveryOriginOnceIncludingTheNodesOwnLostChanges() {
        RecordFilter reseed = new RecordFilter(N2, OriginFilter.ALL, Set.of("default", "ddl_sql"));
        Lsn at = Lsn.parse("0/100");
        assertEquals(Verdict.APPLY, reseed.verdict(headers(N1, Operation.INSERT, at, "default"), Message.OTHER, N1, Lsn.INVALID));
        assertEquals(Verdict.APPLY, reseed.verdict(headers(N3, Operation.UPDATE, at, "default"), Message.OTHER, N1, Lsn.INVALID));
        assertEquals(Verdict.APPLY, reseed.verdict(headers(N2, Operation.DELETE, at, "default"), Message.OTHER, N1, Lsn.INVALID));
        assertEquals(Verdict.ALREADY_APPLIED, reseed.verdict(headers(N2, Operation.DELETE, at, "default"), Message.OTHER, N1, at));
        assertEquals(Verdict.ALREADY_APPLIED, reseed.verdict(headers(N3, Operation.INSERT, at, "default"), Message.OTHER, N1,
                Lsn.parse("0/200")));
        assertEquals(Verdict.NOT_SUBSCRIBED, reseed.verdict(headers(N3, Operation.INSERT, at, "audit"), Message.OTHER, N1,
                Lsn.INVALID));
    }

    @Test
    void heartbeatsAndOtherMessagesAreNeverApplied() {
        Lsn at = Lsn.parse("0/100");
        assertEquals(Verdict.NOT_A_ROW_CHANGE, filter.verdict(headers(N1, Operation.HEARTBEAT, at), Message.OTHER, N1, Lsn.INVALID));
        assertEquals(Verdict.NOT_A_ROW_CHANGE, filter.verdict(headers(N1, Operation.MESSAGE, at, "ddl_sql"), Message.OTHER, N1,
                Lsn.INVALID));
    }

    @Test
    void syncEventsOfTheTopicOwnerAreAppliedWhateverTheSetsOnceEach() {
        Lsn at = Lsn.parse("0/100");
        assertEquals(Verdict.APPLY, filter.verdict(headers(N1, Operation.MESSAGE, at), Message.SYNC_EVENT, N1, Lsn.INVALID));
        assertEquals(Verdict.ALREADY_APPLIED, filter.verdict(headers(N1, Operation.MESSAGE, at), Message.SYNC_EVENT, N1, at));
        assertEquals(Verdict.FORWARDED, filter.verdict(headers(N3, Operation.MESSAGE, at), Message.SYNC_EVENT, N1,
                Lsn.INVALID));
    }
}
