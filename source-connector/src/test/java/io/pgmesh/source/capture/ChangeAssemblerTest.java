package io.pgmesh.source.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.TableId;
import io.pgmesh.common.envelope.ChangeKey;
import io.pgmesh.common.envelope.ColumnValue;
import io.pgmesh.common.envelope.DdlCommand;
import io.pgmesh.common.envelope.KeyColumn;
import io.pgmesh.common.envelope.LogicalMessage;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.common.envelope.RowImage;
import io.pgmesh.common.envelope.Truncation;
import io.pgmesh.source.decode.Begin;
import io.pgmesh.source.decode.Commit;
import io.pgmesh.source.decode.Insert;
import io.pgmesh.source.decode.Origin;
import io.pgmesh.source.decode.PgOutputFixtures;
import io.pgmesh.source.decode.LogicalDecodingMessage;
import io.pgmesh.source.decode.PgOutputMessage;
import io.pgmesh.source.decode.Relation;
import io.pgmesh.source.decode.TupleData;
import io.pgmesh.source.decode.TupleValue;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Assembles change events from pgoutput messages recorded from a real PostgreSQL 17 server. */
class ChangeAssemblerTest {

    private static final NodeName N1 = new NodeName("n1");
    private static final TableId T1 = new TableId("fx", "t1");
    private static final PgOutputFixtures FIXTURES = PgOutputFixtures.load("17");

    /** Names every type the fixtures use; every table is in set "default" and in the insert-only set "log". */
    private static final class FakeCatalog implements CatalogLookups {
        final List<String> decodedMemberships = new ArrayList<>();

        @Override
        public List<String> typeNames(List<Integer> oids, List<Integer> mods) {
            return oids.stream().map(oid -> switch (oid) {
                case 23 -> "integer";
                case 25 -> "text";
                default -> "???";
            }).toList();
        }

        @Override
        public List<SetMembership> memberships(int relationId, TableId table, Lsn commitLsn) {
            return List.of(new SetMembership("default", true, true, true, true),
                    new SetMembership("log", true, false, false, false));
        }

        @Override
        public void membershipDecoded(long entry, int relationId, long xid, Lsn commitLsn) {
            decodedMemberships.add(entry + "@" + commitLsn);
        }
    }

    private static ChangeAssembler assembler(StreamPosition resumeAfter, Set<String> prefixes) {
        return new ChangeAssembler(N1, prefixes, new FakeCatalog(), resumeAfter, () -> 42L);
    }

    private static List<ChangeEvent> feed(ChangeAssembler assembler, List<PgOutputMessage> messages) throws SQLException {
        List<ChangeEvent> events = new ArrayList<>();
        for (PgOutputMessage m : messages) {
            events.addAll(assembler.accept(m));
        }
        return events;
    }

    private static List<ChangeEvent> feed(String scenario) throws SQLException {
        return feed(assembler(StreamPosition.START, Set.of(LogicalMessage.DDL_PREFIX)), FIXTURES.decode(scenario));
    }

    @Test
    void aLocalInsertIsTaggedWithThisNodeItsCommitAndItsSets() throws SQLException {
        List<PgOutputMessage> messages = FIXTURES.decode("insert");
        Begin begin = (Begin) messages.get(0);
        Commit commit = (Commit) messages.get(messages.size() - 1);
        List<ChangeEvent> events = feed("insert");
        assertEquals(1, events.size());
        ChangeEvent e = events.get(0);
        assertEquals(Operation.INSERT, e.headers().op());
        assertEquals(N1, e.headers().originNode());
        assertEquals(begin.finalLsn(), e.headers().originLsn());
        assertEquals(begin.finalLsn(), e.headers().commitLsn());
        assertEquals(begin.commitTimeMicros(), e.headers().originCommitMicros());
        assertEquals(begin.xid(), e.headers().xid());
        assertEquals(0, e.headers().txSeq());
        assertTrue(e.headers().txLast());
        assertEquals(commit.endLsn(), e.confirmLsn());
        assertEquals(Set.of("default", "log"), e.headers().sets());
        assertNull(e.headers().externalOrigin());
        assertEquals(ChangeKey.row(T1, List.of(new KeyColumn("id", "1"))), e.key());
        assertEquals(new RowImage(Operation.INSERT, T1, List.of(ColumnValue.of("id", "integer", "1"),
                ColumnValue.of("name", "text", "it's \"quoted\"\nGrüße ✓"), ColumnValue.of("m", "\"fx\".\"mood\"", "happy"),
                ColumnValue.of("big", "text", null)), null), e.value());
    }

    @Test
    void anUpdateThatChangesTheKeyCarriesTheOldKeyIsKeyedByTheNewOneAndTombstonesTheOldOne() throws SQLException {
        List<ChangeEvent> events = feed("update_key_change");
        assertEquals(2, events.size());
        ChangeEvent e = events.get(0);
        assertEquals(Operation.UPDATE, e.headers().op());
        assertEquals(ChangeKey.row(T1, List.of(new KeyColumn("id", "10"))), e.key());
        assertEquals(List.of(ColumnValue.of("id", "integer", "1")), ((RowImage) e.value()).oldKey());
        assertEquals(0, e.headers().txSeq());
        assertTrue(!e.headers().txLast());

        ChangeEvent movedAway = events.get(1);
        assertEquals(Operation.DELETE, movedAway.headers().op());
        assertNull(movedAway.value(), "the old key's record is a tombstone, so compaction drops the old row");
        assertEquals(ChangeKey.row(T1, List.of(new KeyColumn("id", "1"))), movedAway.key());
        assertEquals(1, movedAway.headers().txSeq());
        assertTrue(movedAway.headers().txLast());
        assertEquals(e.headers().commitLsn(), movedAway.headers().commitLsn());

        List<ChangeEvent> plain = feed("update_plain");
        assertEquals(1, plain.size());
        assertNull(((RowImage) plain.get(0).value()).oldKey());
    }

    @Test
    void anUpdateUnderReplicaIdentityFullWritesNoTombstoneThoughItCarriesTheOldRow() throws SQLException {
        ChangeAssembler assembler = assembler(StreamPosition.START, Set.of());
        Lsn lsn = Lsn.parse("0/100");
        List<PgOutputMessage> messages = List.of(new Begin(lsn, 1_000_000L, 7),
                new Relation(1, "fx", "t1", 'f', List.of(new Relation.Column(true, "id", 23, -1),
                        new Relation.Column(true, "name", 25, -1))),
                new io.pgmesh.source.decode.Update(1, new io.pgmesh.source.decode.OldTuple(true, tuple("1", "old")),
                        tuple("1", "new")),
                new Commit(0, lsn, Lsn.parse("0/200"), 1_000_000L));
        List<ChangeEvent> events = feed(assembler, messages);
        assertEquals(List.of(Operation.UPDATE), events.stream().map(ev -> ev.headers().op()).toList());
    }

    @Test
    void aMembershipChangeIsReportedWithItsTransactionsCommitAndNeverCarriedOn() throws SQLException {
        FakeCatalog catalog = new FakeCatalog();
        ChangeAssembler assembler = new ChangeAssembler(N1, Set.of(), catalog, StreamPosition.START, () -> 42L);
        Lsn lsn = Lsn.parse("0/100");
        List<ChangeEvent> events = feed(assembler, List.of(new Begin(lsn, 1_000_000L, 7),
                new LogicalDecodingMessage(true, Lsn.parse("0/90"), LogicalMessage.MEMBERS_PREFIX,
                        "{\"id\" : 12, \"relid\" : 4294967295}".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                new Commit(0, lsn, Lsn.parse("0/200"), 1_000_000L)));
        assertEquals(List.of(), events);
        assertEquals(List.of("12@0/100"), catalog.decodedMemberships);
    }

    private static TupleData tuple(String... texts) {
        return new TupleData(java.util.Arrays.stream(texts).map(t -> (TupleValue) new TupleValue.Text(t)).toList());
    }

    @Test
    void anUnchangedToastValueStaysMarkedUnchanged() throws SQLException {
        List<ChangeEvent> events = feed("update_unchanged_toast");
        assertEquals(2, events.size());
        RowImage update = (RowImage) events.get(1).value();
        assertEquals(ColumnValue.unchangedToast("big", "text"), update.columns().get(3));
    }

    @Test
    void aDeleteIsATombstoneKeyedByTheRow() throws SQLException {
        ChangeEvent e = feed("delete_key").get(0);
        assertEquals(Operation.DELETE, e.headers().op());
        assertNull(e.value());
        assertEquals(ChangeKey.row(T1, List.of(new KeyColumn("id", "10"))), e.key());
    }

    @Test
    void aMultiTableTruncateBecomesOneRecordPerTableWithOnlyTheLastFlagged() throws SQLException {
        List<ChangeEvent> events = feed("truncate");
        assertEquals(2, events.size());
        assertEquals(new Truncation(T1, true, true), events.get(0).value());
        assertEquals(new Truncation(new TableId("fx", "t2"), true, true), events.get(1).value());
        assertEquals(List.of(0, 1), events.stream().map(e -> e.headers().txSeq()).toList());
        assertEquals(List.of(false, true), events.stream().map(e -> e.headers().txLast()).toList());
        assertNull(events.get(0).confirmLsn());
        assertEquals(ChangeKey.Kind.TRUNCATE, events.get(0).key().kind());
        assertTrue(events.get(0).key().id().startsWith("n1/"));
    }

    @Test
    void aTransactionAppliedUnderAPeerOriginIsTaggedWithThatPeer() throws SQLException {
        ChangeEvent e = feed("origin").get(0);
        assertEquals(new NodeName("n2"), e.headers().originNode());
        assertEquals(Lsn.parse("0/1234ABCD"), e.headers().originLsn());
        assertEquals(Instant.parse("2001-02-03T04:05:06.789012Z"),
                Instant.EPOCH.plus(e.headers().originCommitMicros(), ChronoUnit.MICROS));
        assertNotEquals(e.headers().originLsn(), e.headers().commitLsn());
    }

    @Test
    void aForeignOriginCountsAsThisNodeAndIsNamed() throws SQLException {
        Relation relation = new Relation(1, "public", "t", 'd', List.of(new Relation.Column(true, "id", 23, -1)));
        List<ChangeEvent> events = feed(assembler(StreamPosition.START, Set.of()), List.of(
                new Begin(Lsn.parse("0/100"), 5L, 7L), new Origin(Lsn.parse("0/9"), "pg_16384"), relation,
                new Insert(1, new TupleData(List.of(new TupleValue.Text("1")))),
                new Commit(0, Lsn.parse("0/100"), Lsn.parse("0/130"), 5L)));
        assertEquals(N1, events.get(0).headers().originNode());
        assertEquals(Lsn.parse("0/100"), events.get(0).headers().originLsn());
        assertEquals("pg_16384", events.get(0).headers().externalOrigin());
    }

    @Test
    void pgmeshBookkeepingTablesAreNeverCaptured() throws SQLException {
        Relation internal = new Relation(9, "pgmesh", "tombstones", 'd', List.of(new Relation.Column(true, "id", 23, -1)));
        List<ChangeEvent> events = feed(assembler(StreamPosition.START, Set.of()), List.of(
                new Begin(Lsn.parse("0/100"), 5L, 7L), internal,
                new Insert(9, new TupleData(List.of(new TupleValue.Text("1")))),
                new Commit(0, Lsn.parse("0/100"), Lsn.parse("0/130"), 5L)));
        assertTrue(events.isEmpty());
    }

    @Test
    void eachChangeIsTaggedWithTheSetsThatReplicateItsKind() throws SQLException {
        List<ChangeEvent> changes = new ArrayList<>(feed("update_plain"));
        changes.addAll(feed("delete_key"));
        assertEquals(2, changes.size());
        for (ChangeEvent e : changes) {
            assertEquals(Set.of("default"), e.headers().sets(), "insert-only set \"log\" left out of " + e.headers().op());
        }
        for (ChangeEvent e : feed("truncate")) {
            assertEquals(Set.of("default"), e.headers().sets());
        }
    }

    @Test
    void aTableInOneSetIsTaggedWithItWhateverTheKindForARowFilterTurnsUpdatesIntoInsertsAndDeletes() {
        List<SetMembership> one = List.of(new SetMembership("eu", false, true, false, false));
        assertEquals(Set.of("eu"), SetMembership.setsFor(one, Operation.INSERT));
        assertEquals(Set.of("eu"), SetMembership.setsFor(one, Operation.DELETE));
        List<SetMembership> two = List.of(new SetMembership("a", true, false, false, false),
                new SetMembership("b", false, true, false, false));
        assertEquals(Set.of("a"), SetMembership.setsFor(two, Operation.INSERT));
        assertEquals(Set.of("a", "b"), SetMembership.setsFor(two, Operation.DELETE), "claimed by no set: all");
        assertEquals(Set.of(), SetMembership.setsFor(List.of(), Operation.INSERT));
    }

    @Test
    void aDdlMessageIsTaggedWithTheSetsItNamesAndOneNotWrittenByPgmeshWithNone() throws SQLException {
        ChangeEvent foreign = feed("message_transactional").get(0);
        assertEquals(Operation.MESSAGE, foreign.headers().op());
        assertEquals(Set.of(), foreign.headers().sets(), "the recorded content is plain text, not pgmesh's JSON");

        List<PgOutputMessage> messages = new ArrayList<>(FIXTURES.decode("message_transactional"));
        LogicalDecodingMessage recorded = (LogicalDecodingMessage) messages.get(1);
        DdlCommand command = new DdlCommand("CREATE TABLE x ()", "public", "app", new TreeSet<>(Set.of("ddl_sql", "ops")));
        messages.set(1, new LogicalDecodingMessage(true, recorded.lsn(), recorded.prefix(), command.toContent()));
        ChangeEvent ddl = feed(assembler(StreamPosition.START, Set.of(LogicalMessage.DDL_PREFIX)), messages).get(0);
        assertEquals(Set.of("ddl_sql", "ops"), ddl.headers().sets());
        assertEquals(command, DdlCommand.parse(((LogicalMessage) ddl.value()).content()));
    }

    @Test
    void messagesAreCarriedOnlyForConfiguredPrefixesAndHeartbeatsAlways() throws SQLException {
        ChangeEvent ddl = feed("message_transactional").get(0);
        assertEquals(Operation.MESSAGE, ddl.headers().op());
        assertEquals(ChangeKey.Kind.MESSAGE, ddl.key().kind());
        assertTrue(ddl.headers().txLast());
        assertTrue(feed(assembler(StreamPosition.START, Set.of()), FIXTURES.decode("message_transactional")).isEmpty());

        ChangeEvent hb = feed(assembler(StreamPosition.START, Set.of()), FIXTURES.decode("message_nontransactional")).get(0);
        assertEquals(Operation.HEARTBEAT, hb.headers().op());
        assertEquals(ChangeKey.heartbeat("n1"), hb.key());
        assertEquals(1_700_000_000_000_000L, hb.headers().originCommitMicros());
        assertEquals(0L, hb.headers().xid());
        assertTrue(hb.headers().txLast());
        assertEquals(hb.headers().commitLsn(), hb.confirmLsn());
    }

    @Test
    void everythingAtOrBeforeTheResumePositionIsSkipped() throws SQLException {
        List<ChangeEvent> all = feed("truncate");
        StreamPosition afterFirst = all.get(0).position();
        List<ChangeEvent> resumed = feed(assembler(afterFirst, Set.of()), FIXTURES.decode("truncate"));
        assertEquals(List.of(all.get(1)), resumed);
        assertTrue(feed(assembler(all.get(1).position(), Set.of()), FIXTURES.decode("truncate")).isEmpty());
    }

    @Test
    void acrossAWholeRecordedSessionPositionsRiseAndEachTransactionEndsFlagged() throws SQLException {
        ChangeAssembler assembler = assembler(StreamPosition.START, Set.of(LogicalMessage.DDL_PREFIX));
        List<ChangeEvent> events = new ArrayList<>();
        for (String scenario : FIXTURES.scenarios()) {
            events.addAll(feed(assembler, FIXTURES.decode(scenario)));
        }
        assertTrue(events.size() >= 15, "events: " + events.size());
        for (int i = 1; i < events.size(); i++) {
            ChangeEvent previous = events.get(i - 1);
            ChangeEvent current = events.get(i);
            assertTrue(current.position().isAfter(previous.position()), previous.position() + " then " + current.position());
            boolean sameTransaction = current.headers().commitLsn().equals(previous.headers().commitLsn());
            assertEquals(!sameTransaction, previous.headers().txLast(), "at " + previous.position());
            assertEquals(previous.headers().txLast(), previous.confirmLsn() != null);
        }
        assertTrue(events.get(events.size() - 1).headers().txLast());
    }

    @Test
    void aChangeBeforeItsRelationIsAProtocolViolation() {
        ChangeAssembler assembler = assembler(StreamPosition.START, Set.of());
        assertThrows(IllegalStateException.class, () -> feed(assembler, List.of(new Begin(Lsn.parse("0/1"), 1L, 1L),
                new Insert(5, new TupleData(List.of())))));
        assertThrows(IllegalStateException.class, () -> assembler(StreamPosition.START, Set.of())
                .accept(new Commit(0, Lsn.parse("0/1"), Lsn.parse("0/2"), 1L)));
    }
}
