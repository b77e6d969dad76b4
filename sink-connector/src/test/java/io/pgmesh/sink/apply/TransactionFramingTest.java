package io.pgmesh.sink.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.sink.conflict.Version;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class TransactionFramingTest {

    private final TransactionFraming frame = new TransactionFraming();

    private static SourceTransaction tx(int n) {
        ChangeHeaders h = new ChangeHeaders(new NodeName("n1"), new NodeName("n1"), n, Lsn.parse("0/" + n + "00"),
                Lsn.parse("0/" + n + "10"), n, 0, false, Operation.INSERT, new TreeSet<>(Set.of("default")), null);
        return new SourceTransaction(h, new Version(n, "n1"));
    }

    /** Transaction {@code t} writes {@code statements} statements. */
    private void write(SourceTransaction t, String... statements) {
        frame.begin(t);
        for (String s : statements) {
            frame.pipeline().add(s);
        }
    }

    @Test
    void everyTransactionAfterTheFirstBeginsItselfAndEveryOneCommits() {
        SourceTransaction a = tx(1);
        SourceTransaction b = tx(2);
        write(a, "a1", "a2");
        frame.commit(a);
        write(b, "b1");
        frame.commit(b);
        assertEquals(List.of("a1", "a2", "COMMIT", "BEGIN", "b1", "COMMIT"), frame.pipeline().statements());
        assertEquals(List.of(a, b), frame.ended());
        frame.pipeline().clear(); // what running it does
        frame.ran();
        SourceTransaction c = tx(3);
        write(c, "c1");
        assertEquals(List.of("c1"), frame.pipeline().statements(), "after a run pgjdbc begins the first one itself");
    }

    @Test
    void theOpenTransactionIsTakenOutAndPutBackWithoutItsBegin() {
        SourceTransaction a = tx(1);
        SourceTransaction open = tx(2);
        write(a, "a1");
        frame.commit(a);
        write(open, "o1", "o2");
        TransactionFraming.OpenPart part = frame.takeOpen(open);
        assertEquals(List.of("a1", "COMMIT"), frame.pipeline().statements());
        assertEquals(List.of("o1", "o2"), part.statements().statements());
        frame.pipeline().clear();
        frame.ran();
        frame.putBack(open, part);
        assertEquals(List.of("o1", "o2"), frame.pipeline().statements());
        assertEquals(0, open.pipelineStart);
        assertFalse(open.beganWithBegin);
        frame.commit(open);
        SourceTransaction next = tx(3);
        write(next, "n1");
        assertEquals(List.of("o1", "o2", "COMMIT", "BEGIN", "n1"), frame.pipeline().statements());
    }

    @Test
    void anAbandonedTransactionLeavesTheFrameAsItWasBeforeIt() {
        SourceTransaction a = tx(1);
        write(a, "a1");
        frame.commit(a);
        SourceTransaction abandoned = tx(2);
        write(abandoned, "x1");
        frame.takeOpen(abandoned);
        SourceTransaction again = tx(2);
        write(again, "y1");
        assertEquals(List.of("a1", "COMMIT", "BEGIN", "y1"), frame.pipeline().statements(),
                "the frame still ends with a COMMIT, so the copy read again begins itself");
    }

    @Test
    void aTransactionThatWroteNothingWaitsForTheOnesBeforeIt() {
        SourceTransaction a = tx(1);
        write(a, "a1");
        frame.commit(a);
        SourceTransaction filtered = tx(2);
        frame.passOver(filtered);
        assertEquals(List.of(a, filtered), frame.ended());
        assertTrue(frame.holdsEnded());
        frame.pipeline().clear();
        frame.ran();
        assertTrue(frame.isEmpty());
    }

    @Test
    void thePositionGoesIntoTheLastTransactionThatEndedJustBeforeItsCommit() {
        SourceTransaction a = tx(1);
        SourceTransaction b = tx(2);
        write(a, "a1");
        frame.commit(a);
        write(b, "b1");
        frame.commit(b);
        assertTrue(frame.endsWithCommit());
        frame.beforeFinalCommit(p -> p.add("position"));
        assertEquals(List.of("a1", "COMMIT", "BEGIN", "b1", "position", "COMMIT"), frame.pipeline().statements());
        SourceTransaction open = tx(3);
        write(open, "o1");
        assertFalse(frame.endsWithCommit(), "an open transaction's statements follow");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> frame.beforeFinalCommit(p -> p.add("position")));
    }
}
