package io.pgmesh.sink.conflict;

/**
 * A conflict to log: what collided and how last-update-wins resolved it.
 *
 * @param local the local row's (or tombstone's) version, null when there was none
 */
public record Conflict(ConflictType type, Resolution resolution, Version local) {

    /** How a conflict was resolved. */
    public enum Resolution {
        /** The remote change was applied. */
        APPLY_REMOTE,
        /** The local row, newer, was kept; the remote change was dropped. */
        KEEP_LOCAL,
        /** The remote change could not or need not be applied. */
        SKIP;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
