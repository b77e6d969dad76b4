package io.pgmesh.source.capture;

import io.pgmesh.common.envelope.Operation;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/** A replication set a table is in, and the kinds of change the set replicates. */
public record SetMembership(String set, boolean insert, boolean update, boolean delete, boolean truncate) {

    boolean replicates(Operation op) {
        return switch (op) {
            case INSERT -> insert;
            case UPDATE -> update;
            case DELETE -> delete;
            case TRUNCATE -> truncate;
            case MESSAGE, HEARTBEAT -> false;
        };
    }

    /**
     * The sets a change of kind {@code op} of a table in {@code memberships} is tagged with: those
     * that replicate that kind of change. The server sent the change, so some set publishes it: a
     * table in one set only is tagged with it even when the kinds differ (a row filter turns an
     * update that moves a row into or out of the filter into an insert or a delete), and so is a
     * change that no set claims by its kind.
     */
    public static SortedSet<String> setsFor(List<SetMembership> memberships, Operation op) {
        SortedSet<String> sets = new TreeSet<>();
        for (SetMembership m : memberships) {
            if (m.replicates(op)) {
                sets.add(m.set());
            }
        }
        if (sets.isEmpty() || memberships.size() == 1) {
            memberships.forEach(m -> sets.add(m.set()));
        }
        return sets;
    }
}
