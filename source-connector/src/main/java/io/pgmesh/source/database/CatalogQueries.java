package io.pgmesh.source.database;

import io.pgmesh.common.TableId;
import io.pgmesh.source.capture.CatalogLookups;
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
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link CatalogLookups} against the node: one query per Relation message for type names, and the
 * set memberships of each table, cached for {@link #MEMBERSHIP_TTL_NANOS} so that tables added to
 * or removed from a set are tagged accordingly soon after. The connection must use
 * {@code search_path=pg_catalog} (see {@link SourceConnections#control}) so that
 * {@code format_type} qualifies every type outside pg_catalog.
 */
public final class CatalogQueries implements CatalogLookups {

    private static final Logger LOG = LoggerFactory.getLogger(CatalogQueries.class);
    static final long MEMBERSHIP_TTL_NANOS = TimeUnit.SECONDS.toNanos(5);

    private static final String MEMBERSHIPS = """
            SELECT p.pubname, p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate
            FROM pg_publication AS p
            WHERE p.pubname = ANY (?)
              AND EXISTS (SELECT 1 FROM pg_get_publication_tables(p.pubname::text) AS t WHERE t.relid = ?::oid)
            ORDER BY p.pubname""";

    private record Cached(List<SetMembership> memberships, long loadedNanos) {
    }

    private final Connection connection;
    private final Map<String, String> setByPublication;
    private final Map<Integer, Cached> memberships = new HashMap<>();

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
    public List<SetMembership> memberships(int relationId, TableId table) throws SQLException {
        long now = System.nanoTime();
        Cached cached = memberships.get(relationId);
        if (cached != null && now - cached.loadedNanos() < MEMBERSHIP_TTL_NANOS) {
            return cached.memberships();
        }
        List<SetMembership> loaded = load(relationId);
        if (loaded.isEmpty()) {
            if (cached != null && !cached.memberships().isEmpty()) {
                LOG.debug("Table {} is in no streamed set now; keeping its last known sets for changes already"
                        + " committed", table);
                loaded = cached.memberships();
            } else {
                LOG.warn("Table {} is in none of the streamed replication sets {} now, yet the server streamed a"
                        + " change of it (dropped or removed from its set since?); its change is tagged with no set"
                        + " and no sink applies it", table, setByPublication.values());
            }
        }
        memberships.put(relationId, new Cached(loaded, now));
        return loaded;
    }

    private List<SetMembership> load(int relationId) throws SQLException {
        List<SetMembership> result = new ArrayList<>();
        try (PreparedStatement s = connection.prepareStatement(MEMBERSHIPS)) {
            s.setArray(1, connection.createArrayOf("text", setByPublication.keySet().toArray()));
            s.setLong(2, Integer.toUnsignedLong(relationId));
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    result.add(new SetMembership(setByPublication.get(rs.getString(1)), rs.getBoolean(2),
                            rs.getBoolean(3), rs.getBoolean(4), rs.getBoolean(5)));
                }
            }
        }
        return List.copyOf(result);
    }
}
