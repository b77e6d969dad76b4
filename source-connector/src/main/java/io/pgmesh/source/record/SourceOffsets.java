package io.pgmesh.source.record;

import io.pgmesh.common.Lsn;
import io.pgmesh.source.capture.StreamPosition;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * The source partition (one per node and slot) and offsets (a {@link StreamPosition}) Connect
 * stores for the source, and how to read them back.
 */
public final class SourceOffsets {

    static final String NODE = "node";
    static final String SLOT = "slot";
    static final String COMMIT_LSN = "commit_lsn";
    static final String SEQ = "seq";

    private SourceOffsets() {
    }

    public static Map<String, String> partition(String node, String slot) {
        return Map.of(NODE, node, SLOT, slot);
    }

    public static Map<String, Object> offset(StreamPosition position) {
        return Map.of(COMMIT_LSN, position.commitLsn().value(), SEQ, position.seq());
    }

    /** The position a stored offset names; empty when nothing was stored. */
    public static Optional<StreamPosition> position(Map<String, Object> offset) {
        if (offset == null || offset.isEmpty()) {
            return Optional.empty();
        }
        Object lsn = offset.get(COMMIT_LSN);
        Object seq = offset.get(SEQ);
        if (!(lsn instanceof Number) || !(seq instanceof Number)) {
            throw new ConnectException("stored source offset " + offset + " is not a pgmesh offset: reset the"
                    + " connector's offsets (stop it, then DELETE /connectors/<name>/offsets)");
        }
        return Optional.of(new StreamPosition(new Lsn(((Number) lsn).longValue()), ((Number) seq).intValue()));
    }
}
