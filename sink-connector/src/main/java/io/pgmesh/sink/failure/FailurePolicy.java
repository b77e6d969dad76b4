package io.pgmesh.sink.failure;

import io.pgmesh.common.NodeName;
import io.pgmesh.common.retry.RetryBudget;
import io.pgmesh.common.sql.ConnectSqlErrors;
import io.pgmesh.common.sql.SqlStateClassifier;
import io.pgmesh.sink.record.ChangeRecord;
import java.sql.SQLException;
import java.time.Duration;
import java.util.function.Supplier;
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the sink does when applying a partition fails: every failure rolls the partition back; then
 * a failure among changes sent together is read again at once one change at a time (to name the
 * change), a retriable one is read again after the partition's retry budget's next delay, a
 * permanent one is left out when the apply-error policy says so, and anything else fails the task
 * with what to fix. Holds no state of its own: the budget is the partition's.
 */
public final class FailurePolicy {

    private static final Logger LOG = LoggerFactory.getLogger(FailurePolicy.class);

    private final NodeName node;
    private final Duration retryTimeout;

    /** Read the partition again from {@code offset}, after {@code delay}. */
    public record Rewind(long offset, Duration delay) {
    }

    public FailurePolicy(NodeName node, Duration retryTimeout) {
        this.node = node;
        this.retryTimeout = retryTimeout;
    }

    /**
     * After a database error applying {@code change} (the record being processed, or the last one
     * of an exchange that failed).
     *
     * @throws ConnectException when retrying cannot help, saying what to fix
     */
    public Rewind onDatabaseError(FailedPartition partition, ChangeRecord change, SQLException e, RetryBudget budget,
                                  long nowNanos) {
        String doing = "applying " + describe(partition, change);
        boolean sentTogether = partition.failedAmongOthers();
        long rewind = partition.rollback();
        if (sentTogether) {
            LOG.info("Applying {}-{} failed ({}); applying that transaction again from offset {} one change at a time,"
                    + " to tell which change fails", change.topic(), change.partition(), e.getMessage(), rewind);
            return new Rewind(rewind, Duration.ZERO);
        }
        if (!SqlStateClassifier.classify(e).retriable()) {
            if (partition.discardAfterFailure(change, e)) {
                return new Rewind(rewind, Duration.ZERO);
            }
            throw permanent(doing, change, e);
        }
        return retry(change, budget, nowNanos, rewind, "Retrying", e.getMessage(), e, () -> "Gave up after retrying for "
                + retryTimeout + ": " + ConnectSqlErrors.toConnectException(doing, e).getMessage());
    }

    /**
     * After a change that does not fit the node's schema yet: the DDL it needs may still be on its
     * way through another peer's topic, so it waits within the retry budget.
     */
    public Rewind onSchemaMismatch(FailedPartition partition, ChangeRecord change, RuntimeException e,
                                   RetryBudget budget, long nowNanos) {
        String doing = "applying " + describe(partition, change);
        long rewind = partition.rollback();
        return retry(change, budget, nowNanos, rewind, "Waiting for the schema, retrying",
                e.getMessage() + " (" + doing + ")", e, () -> "Gave up after waiting " + retryTimeout
                        + " for the schema: " + e.getMessage() + " (" + doing + ")");
    }

    private ConnectException permanent(String doing, ChangeRecord change, SQLException e) {
        ConnectException failure = ConnectSqlErrors.toConnectException(doing, e);
        if (change.isDdl()) {
            return new ConnectException(failure.getMessage() + " Make the statement succeed on node " + node
                    + " (or make it unnecessary) and restart the task; or leave this transaction of " + change.origin()
                    + " out: " + skipAdvice(change) + ".", e);
        }
        if (SqlStateClassifier.refusedData(e)) {
            return new ConnectException(failure.getMessage() + " Nothing of this transaction was applied. Fix the"
                    + " cause on node " + node + " and restart the task; or leave the transaction out: "
                    + skipAdvice(change) + "; or set apply.error.policy to discard_row or discard_transaction to leave"
                    + " such changes out, recorded in pgmesh.exceptions.", e);
        }
        return failure;
    }

    private static Rewind retry(ChangeRecord change, RetryBudget budget, long nowNanos, long rewind, String doingNow,
                                String detail, Exception cause, Supplier<String> gaveUp) {
        Duration delay = budget.failed(nowNanos);
        if (delay == null) {
            throw new ConnectException(gaveUp.get(), cause);
        }
        LOG.warn("{} {}-{} from offset {} in {} ms: {}", doingNow, change.topic(), change.partition(), rewind,
                delay.toMillis(), detail);
        return new Rewind(rewind, delay);
    }

    /** How to leave the change's transaction out on this node. */
    private String skipAdvice(ChangeRecord change) {
        return "run SELECT pgmesh.skip_transaction('" + change.origin() + "', '" + change.headers().originLsn()
                + "') on node " + node + ", then restart the task";
    }

    private static String describe(FailedPartition partition, ChangeRecord change) {
        String statement = partition.currentStatement();
        return (statement == null ? change.headers().op().wireName() : statement) + " from " + change.topic() + "-"
                + change.partition() + " offset " + change.offset() + " (origin " + change.origin() + " at "
                + change.headers().originLsn() + ")";
    }
}
