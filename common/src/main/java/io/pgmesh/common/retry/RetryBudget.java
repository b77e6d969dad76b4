package io.pgmesh.common.retry;

import java.time.Duration;

/**
 * Exponential backoff between retries of retriable failures, within a time budget that starts at
 * the first failure and is renewed by a success.
 */
public final class RetryBudget {

    private final Duration initial;
    private final Duration max;
    private final Duration timeout;
    private Duration next;
    private long firstFailureNanos;
    private boolean failing;

    public RetryBudget(Duration initial, Duration max, Duration timeout) {
        this.initial = initial;
        this.max = max;
        this.timeout = timeout;
        this.next = initial;
    }

    /**
     * Records a failure at {@code nowNanos}.
     *
     * @return how long to wait before the next attempt, or null when the budget is spent
     */
    public Duration failed(long nowNanos) {
        if (!failing) {
            failing = true;
            firstFailureNanos = nowNanos;
        }
        if (nowNanos - firstFailureNanos >= timeout.toNanos()) {
            return null;
        }
        Duration delay = next;
        next = next.multipliedBy(2).compareTo(max) > 0 ? max : next.multipliedBy(2);
        return delay;
    }

    /** A success: the next failure starts a new budget. */
    public void succeeded() {
        failing = false;
        next = initial;
    }

    public Duration timeout() {
        return timeout;
    }
}
