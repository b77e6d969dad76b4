package io.pgmesh.source.decode;

import io.pgmesh.common.Lsn;

/**
 * {@code 'C'}: the transaction committed. Layout: Byte1('C'), Int8 flags (unused, 0), Int64 commit
 * LSN, Int64 end LSN (just past the commit record: what a client confirms), Int64 commit timestamp.
 */
public record Commit(int flags, Lsn commitLsn, Lsn endLsn, long commitTimeMicros) implements PgOutputMessage {
}
