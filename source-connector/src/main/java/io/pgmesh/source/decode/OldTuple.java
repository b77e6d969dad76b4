package io.pgmesh.source.decode;

/**
 * The old image in an Update or Delete: only the replica-identity columns ({@code 'K'}, other
 * columns NULL) or the whole old row ({@code 'O'}, REPLICA IDENTITY FULL).
 */
public record OldTuple(boolean fullRow, TupleData values) {
}
