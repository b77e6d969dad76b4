package io.pgmesh.common.topic;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.TopicPartition;

/**
 * Decides which transactions that partitions of node topics (and of Connect's offsets topic) keep
 * open are hanging and may be aborted: Kafka has been seen (after broker restarts) to leave a source task's
 * transaction open on the node topic and on Connect's offsets topic while its coordinator has
 * moved on, and until someone aborts it every read_committed reader stops there (the sinks, and
 * the task itself when it starts and reads its offsets). Pure: the caller looks at Kafka.
 *
 * <p>A transaction open on a partition is aborted only when all of these hold:
 * <ul>
 *   <li>its producer has a transactional id, whose coordinator is asked;</li>
 *   <li>the coordinator holds no live transaction for it: not the same epoch ongoing with that
 *       partition, and not committing it ({@code PrepareCommit}/{@code CompleteCommit} at its
 *       epoch, or one later, as transaction version 2 bumps the epoch on commit): a producer told
 *       that its transaction committed must not lose it;</li>
 *   <li>it has been open, unchanged and without a write, for longer than the bound (more than a
 *       producer's transaction timeout, after which Kafka itself aborts what it knows of);</li>
 *   <li>when it is open on the node topic, it is open on an offsets topic too: the source's offset
 *       is written in the same transaction, so both go back together and the changes are streamed
 *       again (the slot is confirmed only past what read_committed readers can read). Had the
 *       offsets part committed, aborting the records would lose them: that is reported, never
 *       done.</li>
 * </ul>
 */
public final class HangingTransactions {

    /** A transaction a partition keeps open, as DescribeProducers reports it. */
    public record Open(TopicPartition partition, long producerId, int producerEpoch, long startOffset,
                       long lastWriteMs, int coordinatorEpoch) {

        /** What identifies it across looks: the same producer epoch open from the same offset. */
        Key key() {
            return new Key(partition, producerId, producerEpoch, startOffset);
        }
    }

    /** The coordinator's view of the task's transactional id, as DescribeTransactions reports it. */
    public record Coordinator(String transactionalId, long producerId, int producerEpoch, TransactionState state,
                              Set<TopicPartition> partitions) {
        public Coordinator {
            partitions = Set.copyOf(partitions);
        }
    }

    /** What to do about one open transaction, and why, for the log. */
    public sealed interface Verdict permits Live, Waiting, Abort, Refuse {
        Open open();
    }

    /** The coordinator still has it under way: leave it. */
    public record Live(Open open, String why) implements Verdict {
    }

    /** Perhaps hanging, not yet for long enough: look again later. */
    public record Waiting(Open open) implements Verdict {
    }

    /** Hanging, and safe to abort. */
    public record Abort(Open open, Coordinator coordinator, Duration openFor, String why) implements Verdict {
    }

    /** Hanging, but aborting it could lose committed data: for an operator, with what to do. */
    public record Refuse(Open open, Coordinator coordinator, Duration openFor, String why) implements Verdict {
    }

    private final Set<String> recordTopics;
    private final Duration bound;
    private final Map<Key, Long> firstSeenMs = new HashMap<>();

    private record Key(TopicPartition partition, long producerId, int producerEpoch, long startOffset) {
    }

    /**
     * @param recordTopics the node topics; every other partition looked at is an offsets topic's
     * @param bound        how long a transaction must stay open, unchanged, before it counts as hanging
     */
    public HangingTransactions(Set<String> recordTopics, Duration bound) {
        this.recordTopics = Set.copyOf(recordTopics);
        this.bound = bound;
    }

    /**
     * Judges what the partitions keep open now, for the producers {@code coordinators} describe by
     * producer id (a producer without one is not judged); remembers when each was first seen, and
     * forgets those no longer open.
     */
    public List<Verdict> judge(List<Open> open, Map<Long, Coordinator> coordinators, long nowMs) {
        firstSeenMs.keySet().retainAll(open.stream().map(Open::key).toList());
        List<Verdict> verdicts = new ArrayList<>();
        for (Open o : open) {
            Coordinator coordinator = coordinators.get(o.producerId());
            if (coordinator == null || coordinator.producerId() != o.producerId()) {
                continue;
            }
            long first = firstSeenMs.computeIfAbsent(o.key(), k -> nowMs);
            verdicts.add(judge(o, coordinator, open, Duration.ofMillis(nowMs - Math.min(first, o.lastWriteMs())),
                    nowMs - Math.max(first, o.lastWriteMs())));
        }
        return verdicts;
    }

    private Verdict judge(Open o, Coordinator c, List<Open> all, Duration openFor, long quietMs) {
        String live = liveness(o, c);
        if (live != null) {
            return new Live(o, live);
        }
        if (quietMs < bound.toMillis()) {
            return new Waiting(o);
        }
        if (committing(o, c)) {
            return new Refuse(o, c, openFor, "its coordinator reports " + c.state() + " at epoch " + c.producerEpoch()
                    + ": the producer was told the transaction committed and only its markers are missing. Do not"
                    + " abort it: restart the broker that leads its __transaction_state partition, whose coordinator"
                    + " then writes the markers again");
        }
        if (recordTopics.contains(o.partition().topic()) && all.stream().noneMatch(other -> sameTransaction(o, other)
                && !recordTopics.contains(other.partition().topic()))) {
            return new Refuse(o, c, openFor, "no offsets topic keeps the same transaction open, so the source's offset"
                    + " written with it may have committed: aborting its records could lose changes. Check that"
                    + " worker.offset.storage.topic names the worker's offset.storage.topic; if it does, reset the"
                    + " source's offsets so that it copies the node again (docs/troubleshooting.md)");
        }
        return new Abort(o, c, openFor, "its coordinator reports " + c.state() + " at epoch " + c.producerEpoch()
                + ", so no producer can still commit it; the source's offset goes back with the records, and the slot,"
                + " confirmed only past what read_committed readers can read, still holds their changes, which are"
                + " streamed again");
    }

    /** Why the coordinator may still end it itself, or null when it will not. */
    private static String liveness(Open o, Coordinator c) {
        if (c.producerEpoch() != o.producerEpoch()) {
            return null;
        }
        return switch (c.state()) {
            case ONGOING -> c.partitions().contains(o.partition()) ? "its transaction is ongoing at its coordinator" : null;
            case PREPARE_COMMIT, PREPARE_ABORT, PREPARE_EPOCH_FENCE -> "its coordinator is ending it (" + c.state() + ")";
            default -> null;
        };
    }

    /** Whether its coordinator committed it (at its epoch, or the next: transaction version 2 bumps it on commit). */
    private static boolean committing(Open o, Coordinator c) {
        boolean commit = c.state() == TransactionState.PREPARE_COMMIT || c.state() == TransactionState.COMPLETE_COMMIT;
        return commit && (c.producerEpoch() == o.producerEpoch() || c.producerEpoch() == o.producerEpoch() + 1);
    }

    private static boolean sameTransaction(Open a, Open b) {
        return a.producerId() == b.producerId() && a.producerEpoch() == b.producerEpoch();
    }
}
