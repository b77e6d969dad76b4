package io.pgmesh.sink.failure;

import io.pgmesh.sink.record.ChangeRecord;
import java.sql.SQLException;

/** What the failure policy needs of a partition whose apply failed: how it failed, and how to undo it. */
public interface FailedPartition {

    /**
     * Whether the failure struck statements of several changes sent together (which one failed is
     * unknown). Read before {@link #rollback()}.
     */
    boolean failedAmongOthers();

    /** What was being applied when the failure struck, or null; read before {@link #rollback()}. */
    String currentStatement();

    /** Undoes the open transaction and returns the offset to read the partition again from. */
    long rollback();

    /**
     * After {@link #rollback()}: whether the apply-error policy leaves out what failed (recorded
     * when its transaction is read again).
     */
    boolean discardAfterFailure(ChangeRecord failed, SQLException e);
}
