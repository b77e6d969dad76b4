package io.pgmesh.source.record;

import io.pgmesh.common.Lsn;
import io.pgmesh.source.capture.StreamPosition;
import java.util.Collections;
import java.util.LinkedHashMap;
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
    /** Present on the records of a snapshot before its closing message: the snapshot was not complete there. */
    static final String SNAPSHOT = "snapshot";
    static final String SNAPSHOT_PARTIAL = "partial";

    private SourceOffsets() {
    }

    /**
     * The source partition, its keys in the order Connect's offset store gives them back.
     *
     * <p>Connect stores an offset under the JSON bytes of its partition, in the map's iteration
     * order. An offset reset (DELETE /connectors/name/offsets) writes its tombstone under the
     * bytes of the partition as read back, a {@code HashMap}. {@code Map.of} iterates in an order
     * that changes from one JVM to the next, so with it a reset missed the stored offset in some
     * runs: the task then resumed from the old position instead of taking a new snapshot.
     */
    public static Map<String, String> partition(String node, String slot) {
        Map<String, String> partition = new LinkedHashMap<>();
        partition.put(NODE, node);
        partition.put(SLOT, slot);
        return Collections.unmodifiableMap(partition);
    }

    public static Map<String, Object> offset(StreamPosition position) {
        return Map.of(COMMIT_LSN, position.commitLsn().value(), SEQ, position.seq());
    }

    /** The offset of a record of a snapshot that is not complete at that record. */
    public static Map<String, Object> partialSnapshotOffset(StreamPosition position) {
        return Map.of(COMMIT_LSN, position.commitLsn().value(), SEQ, position.seq(), SNAPSHOT, SNAPSHOT_PARTIAL);
    }

    /** Whether a stored offset is that of a snapshot that did not complete. */
    public static boolean snapshotIncomplete(Map<String, Object> offset) {
        return offset != null && SNAPSHOT_PARTIAL.equals(offset.get(SNAPSHOT));
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
