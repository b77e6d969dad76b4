package io.pgmesh.source.decode;

import io.pgmesh.common.Lsn;

/**
 * {@code 'O'}: sent right after Begin when the transaction was written under a replication origin
 * (a replication-origin session, as pgmesh's sink and PostgreSQL's apply workers use). Layout:
 * Byte1('O'), Int64 the commit LSN on the origin server, String origin name.
 */
public record Origin(Lsn originLsn, String originName) implements PgOutputMessage {
}
