package io.pgmesh.sink.conflict;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.Objects;

/**
 * A version of a row: the commit time (microseconds since the Unix epoch) and node of the
 * transaction that wrote it. Versions are totally ordered by time, then node name; the greater
 * wins, on every node alike, so all nodes converge. A version without a known time (a frozen or
 * very old row) is older than every timed one.
 */
public record Version(long commitMicros, String node) implements Comparable<Version> {

    /** The time of a version whose time is unknown. */
    public static final long UNKNOWN_TIME = Long.MIN_VALUE;

    private static final Comparator<Version> ORDER =
            Comparator.comparingLong(Version::commitMicros).thenComparing(Version::node);

    public Version {
        Objects.requireNonNull(node, "node");
    }

    public boolean hasTime() {
        return commitMicros != UNKNOWN_TIME;
    }

    public boolean isNewerThan(Version other) {
        return compareTo(other) > 0;
    }

    @Override
    public int compareTo(Version other) {
        return ORDER.compare(this, other);
    }

    /** The commit time as an instant, or null when unknown. */
    public Instant commitTime() {
        return hasTime() ? Instant.EPOCH.plus(commitMicros, ChronoUnit.MICROS) : null;
    }

    /** The commit time as timestamptz text (ISO 8601, UTC, microseconds), {@code -infinity} when unknown. */
    public String timestamptz() {
        Instant time = commitTime();
        return time == null ? "-infinity" : time.toString();
    }

    @Override
    public String toString() {
        return (hasTime() ? commitTime().toString() : "-infinity") + "@" + node;
    }
}
