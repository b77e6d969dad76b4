package io.pgmesh.common.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void backsOffExponentiallyUpToTheMaximumThenGivesUpWhenTheBudgetIsSpent() {
        RetryBudget budget = new RetryBudget(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(60));
        assertEquals(Duration.ofSeconds(1), budget.failed(0));
        assertEquals(Duration.ofSeconds(2), budget.failed(SECOND));
        assertEquals(Duration.ofSeconds(4), budget.failed(3 * SECOND));
        assertEquals(Duration.ofSeconds(5), budget.failed(7 * SECOND));
        assertEquals(Duration.ofSeconds(5), budget.failed(12 * SECOND));
        assertNull(budget.failed(60 * SECOND));
    }

    @Test
    void aSuccessStartsANewBudget() {
        RetryBudget budget = new RetryBudget(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(10));
        budget.failed(0);
        budget.failed(8 * SECOND);
        budget.succeeded();
        assertEquals(Duration.ofSeconds(1), budget.failed(100 * SECOND));
        assertEquals(Duration.ofSeconds(2), budget.failed(109 * SECOND));
        assertNull(budget.failed(110 * SECOND));
    }
}
