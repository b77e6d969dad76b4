package io.pgmesh.sink.conflict;

/** The kinds of conflict the sink resolves and logs (names follow Spock and PostgreSQL where they exist). */
public enum ConflictType {
    /** A remote insert found the row already there. */
    INSERT_EXISTS,
    /** A remote insert found the row deleted (a tombstone). */
    INSERT_DELETED,
    /** A remote update found the row last written by another node, concurrently or newer. */
    UPDATE_ORIGIN_DIFFERS,
    /** A remote update found the row deleted (a tombstone). */
    UPDATE_DELETED,
    /** A remote update found no row and no tombstone. */
    UPDATE_MISSING,
    /** A remote delete found the row last written by another node, concurrently. */
    DELETE_ORIGIN_DIFFERS,
    /** A remote delete found the row newer than itself. */
    DELETE_EXISTS,
    /** A remote delete found no row. */
    DELETE_MISSING;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
