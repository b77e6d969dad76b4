package io.pgmesh.source.decode;

/** {@code 'I'}: a row inserted. Layout: Byte1('I'), Int32 relation OID, Byte1('N'), TupleData. */
public record Insert(int relationId, TupleData newTuple) implements PgOutputMessage {
}
