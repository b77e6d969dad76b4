package io.pgmesh.source.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.TableId;
import io.pgmesh.common.envelope.ChangeKey;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.Operation;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class KafkaTransactionBoundariesTest {

    @Test
    void endsOnTheBatchsLastPostgresCommitAndKeepsTheRestOpen() {
        KafkaTransactionBoundaries boundaries = new KafkaTransactionBoundaries(100);
        // two whole transactions and the start of a third
        assertEquals(4, boundaries.commitAfter(batch(false, false, true, false, true, false, false)));
        assertEquals(2, boundaries.open());
        assertEquals(0, boundaries.commitAfter(batch(true)));
        assertEquals(0, boundaries.open());
    }

    @Test
    void aBatchWithoutACommitLeavesTheTransactionOpen() {
        KafkaTransactionBoundaries boundaries = new KafkaTransactionBoundaries(100);
        assertEquals(-1, boundaries.commitAfter(batch(false, false, false)));
        assertEquals(3, boundaries.open());
    }

    @Test
    void aPostgresTransactionLargerThanTheLimitIsSplitAtBatchEnds() {
        KafkaTransactionBoundaries boundaries = new KafkaTransactionBoundaries(100);
        List<Integer> commits = new ArrayList<>();
        boolean[] rows = new boolean[40];
        for (int b = 0; b < 25; b++) {
            rows[39] = b == 24;
            commits.add(boundaries.commitAfter(batch(rows)));
        }
        // 1,000 records of one transaction in batches of 40: a commit after 120, 240, ... records
        // (the first batch end at or past 100 each time), and on its last record
        long splits = commits.stream().filter(i -> i == 39).count();
        assertEquals(9, splits);
        assertEquals(39, commits.get(24));
        assertEquals(0, boundaries.open());
        for (int i = 0; i < 24; i++) {
            assertEquals((i + 1) % 3 == 0 ? 39 : -1, commits.get(i), "batch " + i);
        }
    }

    @Test
    void refusesANonPositiveLimit() {
        assertThrows(IllegalArgumentException.class, () -> new KafkaTransactionBoundaries(0));
    }

    private static List<ChangeEvent> batch(boolean... txLast) {
        List<ChangeEvent> events = new ArrayList<>();
        for (int i = 0; i < txLast.length; i++) {
            ChangeHeaders headers = new ChangeHeaders(new NodeName("n1"), new NodeName("n1"), 1L, new Lsn(16L),
                    new Lsn(16L), 7L, i, txLast[i], Operation.INSERT, new TreeSet<>(), null);
            events.add(new ChangeEvent(headers, ChangeKey.unidentifiedRow(new TableId("public", "t"), "r" + i), null, txLast[i] ? new Lsn(16L) : null));
        }
        return events;
    }
}
