package io.pgmesh.source.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.TableId;
import io.pgmesh.common.envelope.ChangeKey;
import io.pgmesh.common.envelope.KeyColumn;
import io.pgmesh.common.envelope.LogicalMessage;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.common.envelope.RowImage;
import io.pgmesh.source.capture.ChangeEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class SnapshotEventsTest {

    private static final NodeName N1 = new NodeName("n1");
    private static final TableId ACCOUNTS = new TableId("public", "accounts");
    private static final SnapshotTable KEYED = new SnapshotTable(ACCOUNTS, false, List.of(
            new SnapshotTable.Column("id", "integer", true), new SnapshotTable.Column("note", "text", false)),
            null, new TreeSet<>(List.of("default")));

    private static SnapshotEvents events(int rowsPerTransaction) {
        return new SnapshotEvents(N1, Lsn.parse("0/1000"), rowsPerTransaction, Map.of(7, new NodeName("n2")),
                () -> 42L);
    }

    @Test
    void aRowIsAnInsertWithItsOwnCommitTimeAndOrigin() {
        SnapshotEvents events = events(10);
        ChangeEvent local = events.row(KEYED, Arrays.asList("1", "one", "1700000000000000", null));
        ChangeEvent remote = events.row(KEYED, Arrays.asList("2", null, "1700000000000001", "7"));
        ChangeEvent unknown = events.row(KEYED, Arrays.asList("3", "x", null, null));

        assertEquals(N1, local.headers().originNode());
        assertEquals(1_700_000_000_000_000L, local.headers().originCommitMicros());
        assertEquals(new NodeName("n2"), remote.headers().originNode());
        assertEquals(0L, unknown.headers().originCommitMicros());
        assertEquals(ChangeKey.row(ACCOUNTS, List.of(new KeyColumn("id", "2"))), remote.key());
        RowImage image = (RowImage) remote.value();
        assertEquals(Operation.INSERT, image.op());
        assertNull(image.columns().get(1).value());
        for (ChangeEvent e : List.of(local, remote, unknown)) {
            assertTrue(e.headers().snapshot());
            assertEquals(Lsn.parse("0/FFF"), e.headers().commitLsn());
            assertEquals(new TreeSet<>(List.of("default")), e.headers().sets());
            assertNull(e.confirmLsn());
        }
        assertEquals(List.of(0, 1, 2), List.of(local.headers().txSeq(), remote.headers().txSeq(),
                unknown.headers().txSeq()));
    }

    @Test
    void rowsOfAnUnknownOriginCountAsThisNodes() {
        ChangeEvent e = events(10).row(KEYED, Arrays.asList("1", "one", "5", "99"));
        assertEquals(N1, e.headers().originNode());
    }

    @Test
    void transactionsCloseEveryNRowsAndTheClosingMessageEndsTheLast() {
        SnapshotEvents events = events(2);
        List<ChangeEvent> all = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            all.add(events.row(KEYED, Arrays.asList(Integer.toString(i), "v", "1", null)));
        }
        events.tableDone();
        ChangeEvent done = events.done();
        assertEquals(List.of(false, true, false, true, false),
                all.stream().map(e -> e.headers().txLast()).toList());
        assertTrue(done.headers().txLast());
        assertEquals(5, done.headers().txSeq());
        assertEquals(Operation.MESSAGE, done.headers().op());
        LogicalMessage message = (LogicalMessage) done.value();
        assertEquals(SnapshotEvents.DONE_PREFIX, message.prefix());
        assertEquals("{\"tables\":1,\"rows\":5,\"position\":\"0/FFF\"}",
                new String(message.content(), StandardCharsets.UTF_8));
        assertEquals(5, events.rows());
    }

    @Test
    void keylessTablesGetUniqueKeys() {
        SnapshotTable keyless = new SnapshotTable(new TableId("public", "log"), false,
                List.of(new SnapshotTable.Column("line", "text", false)), null, new TreeSet<>(List.of("default_insert_only")));
        SnapshotEvents events = events(10);
        ChangeEvent a = events.row(keyless, Arrays.asList("same", "1", null));
        ChangeEvent b = events.row(keyless, Arrays.asList("same", "1", null));
        assertFalse(a.key().equals(b.key()));
        assertEquals(ChangeKey.Kind.ROW, a.key().kind());
    }

    @Test
    void aRowOfTheWrongWidthIsRefused() {
        assertThrows(IllegalStateException.class, () -> events(1).row(KEYED, List.of("1", "2", "3")));
    }

    @Test
    void theCopyReadsPublishedColumnsFilteredRowsAndEachRowsCommitOrigin() {
        SnapshotTable filtered = new SnapshotTable(new TableId("app", "Order"), false, KEYED.columns(),
                "(region = 'eu'::text)", KEYED.sets());
        assertEquals("COPY (SELECT t.\"id\", t.\"note\", pgmesh.micros(o.timestamp), o.roident FROM ONLY \"app\".\"Order\" AS t"
                + " CROSS JOIN LATERAL pg_catalog.pg_xact_commit_timestamp_origin(t.xmin) AS o WHERE ((region ="
                + " 'eu'::text))) TO STDOUT", filtered.copyQuery());
        assertTrue(new SnapshotTable(ACCOUNTS, true, KEYED.columns(), null, KEYED.sets()).copyQuery()
                .contains("FROM \"public\".\"accounts\" AS t"));
    }
}
