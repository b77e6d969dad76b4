package io.pgmesh.sink.apply;

import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.sql.SqlStateClassifier;
import io.pgmesh.sink.config.PgmeshSinkConfig.ApplyErrorPolicy;
import io.pgmesh.sink.record.ChangeRecord;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The changes the apply-error policy leaves out when their transaction is read again after a
 * failure: kept across rollbacks, dropped once their transaction commits. Only errors of the data
 * qualify, never a failed DDL statement, and never the same change twice (recording it failed too).
 * Pure: no JDBC.
 */
final class Discards {

    /** Leave out, of transaction {@code tx}, the change at {@code rowOffset}, or every change when it is -1. */
    record Discard(SourceTransaction.Id tx, long rowOffset, ExceptionLog.Reason reason) {
        boolean covers(ChangeHeaders h, long offset) {
            return tx.origin().equals(h.originNode()) && tx.commitLsn().equals(h.commitLsn())
                    && (rowOffset < 0 || rowOffset == offset);
        }

        boolean wholeTransaction() {
            return rowOffset < 0;
        }
    }

    private final ApplyErrorPolicy policy;
    private final List<Discard> discards = new ArrayList<>();

    Discards(ApplyErrorPolicy policy) {
        this.policy = policy;
    }

    /**
     * Decides whether {@code e}, which struck transaction {@code failedTx} while {@code failed} was
     * processed, is left out: the change alone under discard_row when its own statement failed
     * ({@code failedRowOffset}), else its whole transaction.
     *
     * @param failedTx null when no transaction was open
     * @return the change or transaction left out, or empty when the failure stands
     */
    Optional<Discard> offer(SourceTransaction.Id failedTx, long failedRowOffset, ChangeRecord failed, SQLException e) {
        if (policy == ApplyErrorPolicy.STOP || failedTx == null || failed.isDdl() || !SqlStateClassifier.refusedData(e)) {
            return Optional.empty();
        }
        boolean row = policy == ApplyErrorPolicy.DISCARD_ROW && failedRowOffset == failed.offset();
        long rowOffset = row ? failed.offset() : -1;
        for (Discard d : discards) {
            if (d.tx().equals(failedTx) && (d.rowOffset() < 0 || d.rowOffset() == rowOffset)) {
                return Optional.empty();
            }
        }
        String name = row ? "discard_row" : "discard_transaction";
        Discard d = new Discard(failedTx, rowOffset, new ExceptionLog.Reason(name, failed.offset(), e.getSQLState(),
                e.getMessage()));
        discards.add(d);
        return Optional.of(d);
    }

    /** What to leave out of the change at {@code offset}, or null. */
    Discard of(ChangeHeaders h, long offset) {
        for (Discard d : discards) {
            if (d.covers(h, offset)) {
                return d;
            }
        }
        return null;
    }

    /** Transaction {@code tx} committed without what was left out: nothing more to leave out of it. */
    void committed(SourceTransaction.Id tx) {
        discards.removeIf(d -> d.tx().equals(tx));
    }
}
