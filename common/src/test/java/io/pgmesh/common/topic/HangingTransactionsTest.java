package io.pgmesh.common.topic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.topic.HangingTransactions.Abort;
import io.pgmesh.common.topic.HangingTransactions.Coordinator;
import io.pgmesh.common.topic.HangingTransactions.Live;
import io.pgmesh.common.topic.HangingTransactions.Open;
import io.pgmesh.common.topic.HangingTransactions.Refuse;
import io.pgmesh.common.topic.HangingTransactions.Verdict;
import io.pgmesh.common.topic.HangingTransactions.Waiting;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class HangingTransactionsTest {

    private static final TopicPartition NODE = new TopicPartition("pgmesh.n1", 0);
    private static final TopicPartition OFFSETS = new TopicPartition("connect-offsets", 7);
    private static final Duration BOUND = Duration.ofMinutes(2);
    private static final long T0 = 1_000_000_000L;
    private static final long PRODUCER = 42;

    private final HangingTransactions judge = new HangingTransactions(Set.of("pgmesh.n1"), BOUND);

    private static Open open(TopicPartition tp, int epoch, long start) {
        return new Open(tp, PRODUCER, epoch, start, T0, 3);
    }

    private static java.util.Map<Long, Coordinator> byProducer(Coordinator c) {
        return c == null ? java.util.Map.of() : java.util.Map.of(c.producerId(), c);
    }

    private static Coordinator coordinator(TransactionState state, int epoch, TopicPartition... partitions) {
        return new Coordinator("connect-cluster-pgmesh-source-n1-0", PRODUCER, epoch, state, Set.of(partitions));
    }

    private List<Verdict> lookTwice(List<Open> open, Coordinator c, long afterMs) {
        return lookTwice(judge, open, c, afterMs);
    }

    private static List<Verdict> lookTwice(HangingTransactions judge, List<Open> open, Coordinator c, long afterMs) {
        judge.judge(open, byProducer(c), T0);
        return judge.judge(open, byProducer(c), T0 + afterMs);
    }

    @Test
    void aTransactionItsCoordinatorForgotIsAbortedOnBothPartitionsOnceOpenLongerThanTheBound() {
        List<Open> open = List.of(open(NODE, 5, 100), open(OFFSETS, 5, 900));
        Coordinator moved = coordinator(TransactionState.EMPTY, 7);
        assertTrue(judge.judge(open, byProducer(moved), T0).stream().allMatch(v -> v instanceof Waiting), "not at first sight");
        assertTrue(judge.judge(open, byProducer(moved), T0 + BOUND.toMillis() - 1).stream().allMatch(v -> v instanceof Waiting));
        List<Verdict> verdicts = judge.judge(open, byProducer(moved), T0 + BOUND.toMillis());
        assertEquals(2, verdicts.size());
        assertTrue(verdicts.stream().allMatch(v -> v instanceof Abort), verdicts.toString());
        Abort abort = (Abort) verdicts.get(0);
        assertEquals(BOUND, abort.openFor());
        assertTrue(abort.why().contains("Empty at epoch 7") && abort.why().contains("streamed again"), abort.why());
    }

    @Test
    void aLiveTransactionIsNeverAbortedHoweverOld() {
        List<Open> open = List.of(open(NODE, 5, 100), open(OFFSETS, 5, 900));
        List<Verdict> verdicts = lookTwice(open, coordinator(TransactionState.ONGOING, 5, NODE, OFFSETS),
                Duration.ofHours(1).toMillis());
        assertTrue(verdicts.stream().allMatch(v -> v instanceof Live), verdicts.toString());
        assertTrue(lookTwice(open, coordinator(TransactionState.PREPARE_ABORT, 5), Duration.ofHours(1).toMillis())
                .stream().allMatch(v -> v instanceof Live));
    }

    @Test
    void aCommittedTransactionWhoseMarkersAreMissingIsReportedNotAborted() {
        List<Open> open = List.of(open(NODE, 5, 100), open(OFFSETS, 5, 900));
        for (Coordinator c : List.of(coordinator(TransactionState.COMPLETE_COMMIT, 5),
                coordinator(TransactionState.PREPARE_COMMIT, 6), coordinator(TransactionState.COMPLETE_COMMIT, 6))) {
            List<Verdict> verdicts = lookTwice(new HangingTransactions(Set.of("pgmesh.n1"), BOUND), open, c, BOUND.toMillis());
            assertTrue(verdicts.stream().allMatch(v -> v instanceof Refuse), c + ": " + verdicts);
            assertTrue(((Refuse) verdicts.get(0)).why().contains("Do not abort"), verdicts.toString());
        }
    }

    @Test
    void recordsOpenWithoutTheirOffsetsAreReportedNotAborted() {
        List<Verdict> verdicts = lookTwice(List.of(open(NODE, 5, 100)), coordinator(TransactionState.EMPTY, 7),
                BOUND.toMillis());
        Refuse refuse = assertInstanceOf(Refuse.class, verdicts.get(0));
        assertTrue(refuse.why().contains("worker.offset.storage.topic"), refuse.why());
    }

    @Test
    void offsetsOpenWithoutTheirRecordsAreAborted() {
        List<Verdict> verdicts = lookTwice(List.of(open(OFFSETS, 5, 900)), coordinator(TransactionState.EMPTY, 7),
                BOUND.toMillis());
        assertInstanceOf(Abort.class, verdicts.get(0));
    }

    @Test
    void anotherProducersTransactionIsNotOurs() {
        Open foreign = new Open(NODE, 99, 0, 100, T0, 3);
        assertEquals(List.of(), lookTwice(List.of(foreign), coordinator(TransactionState.EMPTY, 7), Duration.ofHours(1).toMillis()));
        assertEquals(List.of(), lookTwice(List.of(open(NODE, 5, 100)), null, Duration.ofHours(1).toMillis()));
    }

    @Test
    void aRecentWriteOrANewStartCountsTheBoundAgain() {
        Coordinator moved = coordinator(TransactionState.EMPTY, 7);
        judge.judge(List.of(open(NODE, 5, 100), open(OFFSETS, 5, 900)), byProducer(moved), T0);
        Open written = new Open(NODE, PRODUCER, 5, 100, T0 + 60_000, 3);
        Open offsets = new Open(OFFSETS, PRODUCER, 5, 900, T0 + 60_000, 3);
        assertTrue(judge.judge(List.of(written, offsets), byProducer(moved), T0 + BOUND.toMillis()).stream()
                .allMatch(v -> v instanceof Waiting), "written to a minute ago");
        judge.judge(List.of(), byProducer(moved), T0 + BOUND.toMillis());
        assertTrue(judge.judge(List.of(open(NODE, 5, 100), open(OFFSETS, 5, 900)), byProducer(moved), T0 + BOUND.toMillis() + 1)
                .stream().allMatch(v -> v instanceof Waiting), "gone in between: a new sighting");
    }
}
