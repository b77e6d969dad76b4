package io.pgmesh.source.decode;

/**
 * {@code 'U'}: a row updated. Layout: Byte1('U'), Int32 relation OID, optionally Byte1('K') and the
 * old key's TupleData (sent when the replica-identity columns changed) or Byte1('O') and the whole
 * old row (REPLICA IDENTITY FULL), then Byte1('N') and the new TupleData.
 *
 * @param oldTuple the old key or old row, or null when the identity did not change
 */
public record Update(int relationId, OldTuple oldTuple, TupleData newTuple) implements PgOutputMessage {
}
