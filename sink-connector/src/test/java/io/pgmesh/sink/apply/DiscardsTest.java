package io.pgmesh.sink.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.TableId;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.ChangeKey;
import io.pgmesh.common.envelope.LogicalMessage;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.sink.config.PgmeshSinkConfig.ApplyErrorPolicy;
import io.pgmesh.sink.record.ChangeRecord;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class DiscardsTest {

    private static final NodeName N1 = new NodeName("n1");
    private static final Lsn COMMIT = Lsn.parse("0/500");
    private static final SourceTransaction.Id TX = new SourceTransaction.Id(N1, COMMIT);
    private static final SQLException UNIQUE = new SQLException("duplicate key", "23505");

    private static ChangeHeaders headers(Lsn commit) {
        return new ChangeHeaders(N1, N1, 10L, Lsn.parse("0/400"), commit, 7L, 0, false, Operation.DELETE,
                new TreeSet<>(Set.of("default")), null);
    }

    private static ChangeRecord delete(long offset) {
        return new ChangeRecord(new SinkRecord("pgmesh.n1", 0, null, null, null, null, offset), headers(COMMIT),
                ChangeKey.unidentifiedRow(new TableId("public", "t"), "r" + offset), null);
    }

    @Test
    void discardRowLeavesOutTheChangeWhoseOwnStatementFailedAndOnlyIt() {
        Discards d = new Discards(ApplyErrorPolicy.DISCARD_ROW);
        Optional<Discards.Discard> offered = d.offer(TX, 12, delete(12), UNIQUE);
        assertTrue(offered.isPresent());
        assertEquals("discard_row", offered.get().reason().policy());
        assertNotNull(d.of(headers(COMMIT), 12));
        assertNull(d.of(headers(COMMIT), 13), "the transaction's other changes are applied");
        assertNull(d.of(headers(Lsn.parse("0/600")), 12), "another transaction at the same offset is not it");
        assertEquals(Optional.empty(), d.offer(TX, 12, delete(12), UNIQUE), "never the same change twice");
    }

    @Test
    void whenWhichChangeFailedIsUnknownTheWholeTransactionIsLeftOut() {
        Discards d = new Discards(ApplyErrorPolicy.DISCARD_ROW);
        Optional<Discards.Discard> offered = d.offer(TX, -1, delete(12), UNIQUE);
        assertTrue(offered.get().wholeTransaction());
        assertNotNull(d.of(headers(COMMIT), 99));
        d.committed(TX);
        assertNull(d.of(headers(COMMIT), 99), "forgotten once its transaction committed");
    }

    @Test
    void onlyRefusedDataOfARowChangeUnderAPolicyThatDiscardsQualifies() {
        assertEquals(Optional.empty(), new Discards(ApplyErrorPolicy.STOP).offer(TX, 12, delete(12), UNIQUE));
        Discards d = new Discards(ApplyErrorPolicy.DISCARD_TRANSACTION);
        assertEquals(Optional.empty(), d.offer(null, 12, delete(12), UNIQUE), "no transaction was open");
        assertEquals(Optional.empty(), d.offer(TX, 12, delete(12), new SQLException("permission denied", "42501")));
        ChangeRecord ddl = new ChangeRecord(new SinkRecord("pgmesh.n1", 0, null, null, null, null, 12), headers(COMMIT),
                ChangeKey.message("m"), new LogicalMessage(LogicalMessage.DDL_PREFIX,
                        "{}".getBytes(StandardCharsets.UTF_8), true));
        assertEquals(Optional.empty(), d.offer(TX, 12, ddl, UNIQUE), "a failed DDL statement is never left out");
        assertEquals("discard_transaction", d.offer(TX, 12, delete(12), UNIQUE).get().reason().policy());
    }
}
