package io.pgmesh.source.decode;

import io.pgmesh.common.Lsn;

/**
 * {@code 'B'}: a transaction starts. Layout: Byte1('B'), Int64 final LSN (the LSN of the commit
 * record), Int64 commit timestamp (microseconds since 2000-01-01), Int32 xid.
 *
 * @param finalLsn          the transaction's commit LSN
 * @param commitTimeMicros  commit time in microseconds since the Unix epoch; for a transaction
 *                          applied with {@code pg_replication_origin_xact_setup} this is the time
 *                          given there, i.e. the origin's commit time
 * @param xid               the transaction id
 */
public record Begin(Lsn finalLsn, long commitTimeMicros, long xid) implements PgOutputMessage {
}
