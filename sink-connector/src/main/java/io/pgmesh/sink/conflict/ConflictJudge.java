package io.pgmesh.sink.conflict;

import io.pgmesh.sink.conflict.Conflict.Resolution;
import java.util.Optional;

/**
 * Decides whether applying one remote row change was a conflict worth logging. Last-update-wins
 * has already decided what happened (in the database, in the same statement); this only names it.
 *
 * <p>A change is in conflict with the local version it met when the two were written without
 * knowledge of each other: the local version's node differs from the remote one and the peer had
 * not seen the local version (see {@link SeenVector}). A remote change that loses is always logged,
 * whatever the cause (concurrency or clock skew): a change was dropped. A change that found no row
 * and no tombstone is logged too: it arrived before the row it refers to.
 */
public final class ConflictJudge {

    /** What the database found and did for one remote row change. */
    public record Outcome(Version localRow, Version tombstone, boolean applied) {
    }

    /** The remote change's kind. */
    public enum Change { INSERT, UPDATE, DELETE }

    private ConflictJudge() {
    }

    public static Optional<Conflict> judge(Change change, Version remote, Outcome outcome, SeenVector seen) {
        if (outcome.localRow() != null) {
            return againstRow(change, remote, outcome.localRow(), outcome.applied(), seen);
        }
        if (outcome.tombstone() != null) {
            return againstTombstone(change, remote, outcome.tombstone(), outcome.applied(), seen);
        }
        return switch (change) {
            case INSERT -> Optional.empty();
            case UPDATE -> Optional.of(new Conflict(ConflictType.UPDATE_MISSING,
                    outcome.applied() ? Resolution.APPLY_REMOTE : Resolution.SKIP, null));
            case DELETE -> Optional.of(new Conflict(ConflictType.DELETE_MISSING, Resolution.APPLY_REMOTE, null));
        };
    }

    private static Optional<Conflict> againstRow(Change change, Version remote, Version local, boolean applied,
                                                 SeenVector seen) {
        if (local.equals(remote)) {
            return Optional.empty();
        }
        Resolution resolution = applied ? Resolution.APPLY_REMOTE : Resolution.KEEP_LOCAL;
        if (change == Change.INSERT) {
            return Optional.of(new Conflict(ConflictType.INSERT_EXISTS, resolution, local));
        }
        if (!applied || concurrent(remote, local, seen)) {
            ConflictType type = change == Change.UPDATE ? ConflictType.UPDATE_ORIGIN_DIFFERS
                    : applied ? ConflictType.DELETE_ORIGIN_DIFFERS : ConflictType.DELETE_EXISTS;
            return Optional.of(new Conflict(type, resolution, local));
        }
        return Optional.empty();
    }

    private static Optional<Conflict> againstTombstone(Change change, Version remote, Version tombstone,
                                                       boolean applied, SeenVector seen) {
        if (tombstone.equals(remote)) {
            return Optional.empty();
        }
        if (change == Change.DELETE) {
            return concurrent(remote, tombstone, seen)
                    ? Optional.of(new Conflict(ConflictType.DELETE_MISSING, Resolution.SKIP, tombstone))
                    : Optional.empty();
        }
        if (!applied || concurrent(remote, tombstone, seen)) {
            ConflictType type = change == Change.INSERT ? ConflictType.INSERT_DELETED : ConflictType.UPDATE_DELETED;
            return Optional.of(new Conflict(type, applied ? Resolution.APPLY_REMOTE : Resolution.KEEP_LOCAL, tombstone));
        }
        return Optional.empty();
    }

    private static boolean concurrent(Version remote, Version local, SeenVector seen) {
        return !local.node().equals(remote.node()) && local.hasTime() && !seen.covers(local);
    }
}
