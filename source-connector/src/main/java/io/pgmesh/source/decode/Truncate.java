package io.pgmesh.source.decode;

import java.util.List;

/**
 * {@code 'T'}: tables truncated in one statement. Layout: Byte1('T'), Int32 relation count, Int8
 * options (bit 1 = CASCADE, bit 2 = RESTART IDENTITY), then Int32 relation OID per table.
 */
public record Truncate(List<Integer> relationIds, boolean cascade, boolean restartIdentity)
        implements PgOutputMessage {

    public Truncate {
        relationIds = List.copyOf(relationIds);
    }
}
