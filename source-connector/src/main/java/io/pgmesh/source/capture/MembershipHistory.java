package io.pgmesh.source.capture;

import io.pgmesh.common.Lsn;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A table's replication sets as read at one moment (one snapshot): the sets it is in now, by
 * publication, and its logged membership changes in the order they were made. From them follow its
 * sets at any point of the stream: a change not in effect there (committed later, or not decoded
 * yet) is undone, latest first.
 */
public final class MembershipHistory {

    /**
     * A membership change: the table joined ({@code added}) or left the set of {@code membership}
     * (with the set's flags as they were then), in effect from {@code commitLsn} on; null when the
     * stream has not decoded it yet.
     */
    public record Entry(long id, String publication, boolean added, SetMembership membership, Lsn commitLsn) {
        boolean inEffectAt(Lsn lsn) {
            return commitLsn != null && !commitLsn.isAfter(lsn);
        }
    }

    private final Map<String, SetMembership> now;
    /** The sets it is in now, in publication order: what {@link #at} returns while every entry is in effect. */
    private final List<SetMembership> nowInOrder;
    private final List<Entry> entries;

    /**
     * @param now     the sets the table is in now, by publication
     * @param entries its membership changes, oldest first
     */
    public MembershipHistory(Map<String, SetMembership> now, List<Entry> entries) {
        TreeMap<String, SetMembership> ordered = new TreeMap<>(now);
        this.now = java.util.Collections.unmodifiableMap(ordered);
        this.nowInOrder = List.copyOf(ordered.values());
        this.entries = List.copyOf(entries);
    }

    /**
     * The table's sets for a change of the transaction committed at {@code lsn}, in publication
     * order. Called for every change the source streams: without an entry out of effect (the usual
     * case) it allocates nothing.
     */
    public List<SetMembership> at(Lsn lsn) {
        boolean allInEffect = true;
        for (Entry e : entries) {
            allInEffect &= e.inEffectAt(lsn);
        }
        if (allInEffect) {
            return nowInOrder;
        }
        Map<String, SetMembership> sets = new TreeMap<>(now);
        for (int i = entries.size() - 1; i >= 0; i--) {
            Entry e = entries.get(i);
            if (e.inEffectAt(lsn)) {
                continue;
            }
            if (e.added()) {
                sets.remove(e.publication());
            } else {
                sets.put(e.publication(), e.membership());
            }
        }
        return List.copyOf(sets.values());
    }

    /**
     * This history with entry {@code id} in effect from {@code commitLsn} on; empty when it does not
     * hold that entry (made after it was read: read it again).
     */
    public Optional<MembershipHistory> decoded(long id, Lsn commitLsn) {
        List<Entry> updated = new ArrayList<>(entries);
        for (int i = 0; i < updated.size(); i++) {
            Entry e = updated.get(i);
            if (e.id() == id) {
                updated.set(i, new Entry(e.id(), e.publication(), e.added(), e.membership(), commitLsn));
                return Optional.of(new MembershipHistory(now, updated));
            }
        }
        return Optional.empty();
    }
}
