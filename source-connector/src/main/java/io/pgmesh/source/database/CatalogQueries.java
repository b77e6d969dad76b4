package io.pgmesh.source.database;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.TableId;
import io.pgmesh.source.capture.CatalogLookups;
import io.pgmesh.source.capture.MembershipHistory;
import io.pgmesh.source.capture.SetMembership;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link CatalogLookups} against the node: one query per Relation message for type names, and the
 * set memberships of each table: the sets it is in now and the entries of
 * {@code pgmesh.set_membership_log} for it, read together (one snapshot), from which its sets at any
 * point of the stream follow. They are read again when the stream reaches a membership change the
 * last read did not hold, and every {@link #MEMBERSHIP_TTL_NANOS} (for the sets' flags). The
 * connection must use {@code search_path=pg_catalog} (see {@link SourceConnections#control}) so that
 * {@code format_type} qualifies every type outside pg_catalog.
 */
public final class CatalogQueries implements CatalogLookups {

    private static final Logger LOG = LoggerFactory.getLogger(CatalogQueries.class);
    static final long MEMBERSHIP_TTL_NANOS = TimeUnit.SECONDS.toNanos(5);

    private static final String MEMBERSHIPS = """
            SELECT NULL::bigint, p.pubname, true, p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate, NULL::text
            FROM pg_publication AS p
            WHERE p.pubname = ANY (?)
              AND EXISTS (SELECT 1 FROM pg_get_publication_tables(p.pubname::text) AS t WHERE t.relid = ?::oid)
            UNION ALL
            SELECT l.id, l.pubname, l.added, l.pubinsert, l.pubupdate, l.pubdelete, l.pubtruncate, l.commit_lsn::text
            FROM pgmesh.set_membership_log AS l
            WHERE l.pubname = ANY (?) AND l.relid = ?::oid
            ORDER BY 1 NULLS FIRST, 2""";

    private record Cached(MembershipHistory history, long loadedNanos) {
    }

    private final Connection connection;
    private final Map<String, String> setByPublication;
    private final Map<Integer, Cached> memberships = new HashMap<>();
    /** The last sets a table was found in, for a change streamed after it left them in a way not logged. */
    private final Map<Integer, List<SetMembership>> lastKnown = new HashMap<>();

    /** @param setByPublication streamed publications and the set each stands for */
    public CatalogQueries(Connection connection, Map<String, String> setByPublication) {
        this.connection = connection;
        this.setByPublication = Map.copyOf(setByPublication);
    }

    @Override
    public List<String> typeNames(List<Integer> typeOids, List<Integer> typeModifiers) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT coalesce(format_type(t.oid, t.mod), '???')"
                + " FROM unnest(?::oid[], ?::int4[]) WITH ORDINALITY AS t(oid, mod, n) ORDER BY t.n")) {
            Array oids = connection.createArrayOf("int8", typeOids.stream().map(Integer::toUnsignedLong).toArray());
            Array mods = connection.createArrayOf("int4", typeModifiers.toArray());
            s.setArray(1, oids);
            s.setArray(2, mods);
            List<String> names = new ArrayList<>(typeOids.size());
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
            return names;
        }
    }

    @Override
    public List<SetMembership> memberships(int relationId, TableId table, Lsn commitLsn) throws SQLException {
        long now = System.nanoTime();
        Cached cached = memberships.get(relationId);
        if (cached == null || now - cached.loadedNanos() >= MEMBERSHIP_TTL_NANOS) {
            cached = load(relationId, now);
            memberships.put(relationId, cached);
        }
        List<SetMembership> at = cached.history().at(commitLsn);
        if (!at.isEmpty()) {
            lastKnown.put(relationId, at);
            return at;
        }
        List<SetMembership> last = lastKnown.get(relationId);
        if (last != null) {
            LOG.debug("Table {} is in no streamed set at {}; keeping its last known sets", table, commitLsn);
            return last;
        }
        LOG.warn("Table {} is in none of the streamed replication sets {} at {}, yet the server streamed a change of"
                + " it (its publication changed other than with pgmesh's functions?); its change is tagged with no"
                + " set and no sink applies it", table, setByPublication.values(), commitLsn);
        return at;
    }

    /**
     * Marks the entry decoded, once its transaction is visible here: the stream delivers a
     * transaction a moment before it is (see {@link CommittedVisibility}), and a mark that found
     * no row left the entry undecoded for ever, so that every later change of a table just added
     * to a set was tagged with no set.
     */
    @Override
    public void membershipDecoded(long entry, int relationId, long xid, Lsn commitLsn) throws SQLException {
        CommittedVisibility.await(connection, xid, "membership change " + entry);
        try (PreparedStatement s = connection.prepareStatement("SELECT pgmesh.mark_membership_decoded(?, ?::pg_lsn)")) {
            s.setLong(1, entry);
            s.setString(2, commitLsn.toString());
            s.execute();
        }
        Cached cached = memberships.get(relationId);
        if (cached != null) {
            // one made after the last read is read with the table's sets when next needed
            cached.history().decoded(entry, commitLsn).ifPresentOrElse(
                    h -> memberships.put(relationId, new Cached(h, cached.loadedNanos())),
                    () -> memberships.remove(relationId));
        }
    }

    private Cached load(int relationId, long now) throws SQLException {
        Map<String, SetMembership> current = new TreeMap<>();
        List<MembershipHistory.Entry> entries = new ArrayList<>();
        try (PreparedStatement s = connection.prepareStatement(MEMBERSHIPS)) {
            Array publications = connection.createArrayOf("text", setByPublication.keySet().toArray());
            s.setArray(1, publications);
            s.setLong(2, Integer.toUnsignedLong(relationId));
            s.setArray(3, publications);
            s.setLong(4, Integer.toUnsignedLong(relationId));
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    String publication = rs.getString(2);
                    SetMembership m = new SetMembership(setByPublication.get(publication), rs.getBoolean(4),
                            rs.getBoolean(5), rs.getBoolean(6), rs.getBoolean(7));
                    long id = rs.getLong(1);
                    if (rs.wasNull()) {
                        current.put(publication, m);
                    } else {
                        String lsn = rs.getString(8);
                        entries.add(new MembershipHistory.Entry(id, publication, rs.getBoolean(3), m,
                                lsn == null ? null : Lsn.parse(lsn)));
                    }
                }
            }
        }
        return new Cached(new MembershipHistory(current, entries), now);
    }
}
