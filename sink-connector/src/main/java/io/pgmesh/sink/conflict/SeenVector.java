package io.pgmesh.sink.conflict;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a peer had applied from each node, as far as its topic shows so far: for every origin, the
 * latest origin commit time among the forwarded copies in the peer's topic (the changes it applied
 * from others are in its topic, tagged with their origin, in its commit order). A local row version
 * the peer had seen when it wrote a change is not in conflict with that change; one it had not
 * seen is concurrent with it.
 */
public final class SeenVector {

    private final Map<String, Long> latest;

    public SeenVector() {
        this(new HashMap<>());
    }

    private SeenVector(Map<String, Long> latest) {
        this.latest = latest;
    }

    /** A forwarded copy of a change from {@code origin}, committed there at {@code originMicros}, passed by. */
    public void saw(String origin, long originMicros) {
        latest.merge(origin, originMicros, Math::max);
    }

    /** Whether the peer had applied a change from {@code version.node()} at least as recent as {@code version}. */
    public boolean covers(Version version) {
        Long seen = latest.get(version.node());
        return seen != null && version.commitMicros() <= seen;
    }

    public Map<String, Long> asMap() {
        return new TreeMap<>(latest);
    }

    public static SeenVector of(Map<String, Long> latest) {
        return new SeenVector(new HashMap<>(latest));
    }
}
