package io.pgmesh.source.decode;

/**
 * {@code 'Y'}: names a non-built-in type before a Relation that uses it. Layout: Byte1('Y'),
 * Int32 type OID, String namespace (empty for pg_catalog), String type name.
 */
public record TypeMessage(int typeOid, String namespace, String name) implements PgOutputMessage {
}
