package io.pgmesh.sink.conflict;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a peer had applied from each node, as far as its topic shows so far: for every origin, the
 * latest origin commit time among the forwarded copies in the peer's topic (the changes it applied
 * from others are in its topic, tagged with their origin, in its commit order). A local row version
 * the peer had seen when it wrote a change is not in conflict with that change; one it had not
 * seen is concurrent with it. Versions older than the floor (when this sink began to apply the
 * peer's topic) count as seen: rows that were on every node before replication started are not in
 * conflict with anything.
 */
public final class SeenVector {

    private final Map<String, Long> latest;
    private final long floorMicros;

    public SeenVector() {
        this(new HashMap<>(), Long.MIN_VALUE);
    }

    private SeenVector(Map<String, Long> latest, long floorMicros) {
        this.latest = latest;
        this.floorMicros = floorMicros;
    }

    /** A forwarded copy of a change from {@code origin}, committed there at {@code originMicros}, passed by. */
    public void saw(String origin, long originMicros) {
        latest.merge(origin, originMicros, Math::max);
    }

    /** Whether the peer had applied a change from {@code version.node()} at least as recent as {@code version}. */
    public boolean covers(Version version) {
        if (version.commitMicros() < floorMicros) {
            return true;
        }
        Long seen = latest.get(version.node());
        return seen != null && version.commitMicros() <= seen;
    }

    public Map<String, Long> asMap() {
        return new TreeMap<>(latest);
    }

    public long floorMicros() {
        return floorMicros;
    }

    /** A copy, to go back to. */
    public SeenVector copy() {
        return new SeenVector(new HashMap<>(latest), floorMicros);
    }

    public static SeenVector of(Map<String, Long> latest) {
        return of(latest, Long.MIN_VALUE);
    }

    public static SeenVector of(Map<String, Long> latest, long floorMicros) {
        return new SeenVector(new HashMap<>(latest), floorMicros);
    }
}
