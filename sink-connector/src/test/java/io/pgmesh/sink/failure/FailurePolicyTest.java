package io.pgmesh.sink.failure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.TableId;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.ChangeKey;
import io.pgmesh.common.envelope.LogicalMessage;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.common.retry.RetryBudget;
import io.pgmesh.sink.record.ChangeRecord;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class FailurePolicyTest {

    private static final NodeName N1 = new NodeName("n1");
    private final FailurePolicy policy = new FailurePolicy(new NodeName("n2"), Duration.ofMinutes(5));
    private final RetryBudget budget = new RetryBudget(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofMinutes(5));

    /** A partition that failed: records what the policy asked of it. */
    private static final class Partition implements FailedPartition {
        final boolean amongOthers;
        final boolean discards;
        boolean rolledBack;
        boolean discardAsked;

        Partition(boolean amongOthers, boolean discards) {
            this.amongOthers = amongOthers;
            this.discards = discards;
        }

        @Override
        public boolean failedAmongOthers() {
            assertFalse(rolledBack, "read after the rollback");
            return amongOthers;
        }

        @Override
        public String currentStatement() {
            return rolledBack ? null : "INSERT on public.t key (id)=(7)";
        }

        @Override
        public long rollback() {
            rolledBack = true;
            return 40;
        }

        @Override
        public boolean discardAfterFailure(ChangeRecord failed, SQLException e) {
            assertTrue(rolledBack, "the policy is asked after the rollback");
            discardAsked = true;
            return discards;
        }
    }

    private static ChangeRecord record(Operation op, Object value) {
        Lsn lsn = Lsn.parse("0/16B3748");
        ChangeHeaders h = new ChangeHeaders(N1, N1, 1L, lsn, lsn, 7L, 0, true, op, new TreeSet<>(Set.of("default")), null);
        SinkRecord source = new SinkRecord("pgmesh.n1", 0, null, null, null, null, 42);
        ChangeKey key = value instanceof LogicalMessage ? ChangeKey.message("m1")
                : ChangeKey.unidentifiedRow(new TableId("public", "t"), "r1");
        return new ChangeRecord(source, h, key, (io.pgmesh.common.envelope.ChangeValue) value);
    }

    private static ChangeRecord delete() {
        return record(Operation.DELETE, null);
    }

    private static SQLException error(String state) {
        return new SQLException("the server said no", state);
    }

    @Test
    void aFailureAmongChangesSentTogetherIsReadAgainAtOnceWithoutTouchingTheBudget() {
        Partition p = new Partition(true, false);
        FailurePolicy.Rewind r = policy.onDatabaseError(p, delete(), error("23505"), budget, 0);
        assertEquals(new FailurePolicy.Rewind(40, Duration.ZERO), r);
        assertTrue(p.rolledBack);
        assertFalse(p.discardAsked, "which change failed is not known yet");
        assertEquals(Duration.ofMillis(100), budget.failed(0), "the budget was not spent");
    }

    @Test
    void aRetriableErrorWaitsTheBudgetsNextDelayAndGivesUpWhenItIsSpent() {
        Partition p = new Partition(false, false);
        assertEquals(new FailurePolicy.Rewind(40, Duration.ofMillis(100)),
                policy.onDatabaseError(p, delete(), error("40P01"), budget, 0));
        assertEquals(Duration.ofMillis(200),
                policy.onDatabaseError(new Partition(false, false), delete(), error("08006"), budget, 1).delay());
        ConnectException e = assertThrows(ConnectException.class, () -> policy.onDatabaseError(new Partition(false, false),
                delete(), error("40P01"), budget, Duration.ofMinutes(5).toNanos()));
        assertTrue(e.getMessage().startsWith("Gave up after retrying for PT5M"), e.getMessage());
        assertTrue(e.getMessage().contains("INSERT on public.t key (id)=(7) from pgmesh.n1-0 offset 42"), e.getMessage());
    }

    @Test
    void refusedDataIsLeftOutWhenTheApplyErrorPolicySaysSoAndOtherwiseFailsTheTaskSayingWhatToDo() {
        Partition discarding = new Partition(false, true);
        assertEquals(new FailurePolicy.Rewind(40, Duration.ZERO),
                policy.onDatabaseError(discarding, delete(), error("23505"), budget, 0));
        assertTrue(discarding.discardAsked);

        ConnectException e = assertThrows(ConnectException.class,
                () -> policy.onDatabaseError(new Partition(false, false), delete(), error("23505"), budget, 0));
        assertTrue(e.getMessage().contains("Nothing of this transaction was applied"), e.getMessage());
        assertTrue(e.getMessage().contains("SELECT pgmesh.skip_transaction('n1', '0/16B3748') on node n2"), e.getMessage());
        assertTrue(e.getMessage().contains("apply.error.policy"), e.getMessage());
    }

    @Test
    void aFailedDdlStatementOrAPermanentErrorOfAnotherKindFailsTheTaskWithoutOfferingThePolicy() {
        LogicalMessage ddl = new LogicalMessage(LogicalMessage.DDL_PREFIX, "{}".getBytes(StandardCharsets.UTF_8), true);
        ConnectException e = assertThrows(ConnectException.class, () -> policy.onDatabaseError(
                new Partition(false, false), record(Operation.MESSAGE, ddl), error("42P07"), budget, 0));
        assertTrue(e.getMessage().contains("Make the statement succeed on node n2"), e.getMessage());
        assertTrue(e.getMessage().contains("skip_transaction('n1', '0/16B3748')"), e.getMessage());

        ConnectException denied = assertThrows(ConnectException.class,
                () -> policy.onDatabaseError(new Partition(false, false), delete(), error("42501"), budget, 0));
        assertFalse(denied.getMessage().contains("apply.error.policy"), denied.getMessage());
    }

    @Test
    void aChangeThatDoesNotFitTheSchemaYetWaitsForItWithinTheBudget() {
        Partition p = new Partition(false, false);
        IllegalStateException missing = new IllegalStateException("Table public.t does not exist on node n2");
        assertEquals(new FailurePolicy.Rewind(40, Duration.ofMillis(100)),
                policy.onSchemaMismatch(p, delete(), missing, budget, 0));
        ConnectException e = assertThrows(ConnectException.class, () -> policy.onSchemaMismatch(
                new Partition(false, false), delete(), missing, budget, Duration.ofMinutes(6).toNanos()));
        assertTrue(e.getMessage().startsWith("Gave up after waiting PT5M for the schema"), e.getMessage());
        assertTrue(e.getMessage().contains("does not exist on node n2"), e.getMessage());
    }
}
