package io.pgmesh.source.decode;

import java.util.List;

/**
 * {@code 'R'}: describes a table before its first change in a session and after it changes.
 * Layout: Byte1('R'), Int32 relation OID, String namespace (empty for pg_catalog), String name,
 * Int8 replica identity setting ({@code d}efault, {@code n}othing, {@code f}ull, {@code i}ndex),
 * Int16 column count, then per column: Int8 flags (1 = part of the key), String name, Int32 type
 * OID, Int32 type modifier.
 */
public record Relation(int relationId, String namespace, String name, char replicaIdentity,
                       List<Column> columns) implements PgOutputMessage {

    public Relation {
        columns = List.copyOf(columns);
    }

    /** A column as the Relation message describes it. */
    public record Column(boolean key, String name, int typeOid, int typeModifier) {
    }
}
