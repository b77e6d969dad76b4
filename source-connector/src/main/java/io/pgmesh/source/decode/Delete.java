package io.pgmesh.source.decode;

/**
 * {@code 'D'}: a row deleted. Layout: Byte1('D'), Int32 relation OID, Byte1('K') and the key's
 * TupleData, or Byte1('O') and the whole old row (REPLICA IDENTITY FULL).
 */
public record Delete(int relationId, OldTuple oldTuple) implements PgOutputMessage {
}
