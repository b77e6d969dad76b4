package io.pgmesh.source.database;

import io.pgmesh.common.Lsn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The replication sets a source streams, as publications: set {@code s} is publication
 * {@code pgmesh_s}. Configured sets must exist; no configured sets means every set on the node. A
 * stream names only the sets it may (see {@code pgmesh.set_streamable}): a set whose creation
 * committed after the stream's start joins when the stream reaches that commit and starts again.
 */
public final class StreamedSets {

    static final String PUBLICATION_PREFIX = "pgmesh_";

    private final Set<String> configured;

    /** @param configured the sets named in the configuration; empty for every set */
    public StreamedSets(Set<String> configured) {
        this.configured = Set.copyOf(configured);
    }

    /**
     * The sets a stream that starts at {@code start} names, by publication name, in name order.
     */
    public Map<String, String> resolve(Connection c, Lsn start) throws SQLException {
        Map<String, String> byPublication = new TreeMap<>();
        try (PreparedStatement s = c.prepareStatement("SELECT substr(p.pubname, 8) FROM pg_publication AS p"
                + " JOIN pgmesh.set_streamable AS s ON s.set_name = substr(p.pubname, 8)"
                + " WHERE starts_with(p.pubname, 'pgmesh_') AND s.since <= ?::pg_lsn ORDER BY 1")) {
            s.setString(1, start.toString());
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    String set = rs.getString(1);
                    if (configured.isEmpty() || configured.contains(set)) {
                        byPublication.put(PUBLICATION_PREFIX + set, set);
                    }
                }
            }
        }
        return byPublication;
    }

    /**
     * Records that {@code sets} (every set not known yet, when null) may be named by streams that
     * start at {@code since} or later.
     */
    public static void markStreamable(Connection c, List<String> sets, Lsn since) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pgmesh.mark_sets_streamable(?::text[], ?::pg_lsn)")) {
            s.setArray(1, sets == null ? null : c.createArrayOf("text", sets.toArray()));
            s.setString(2, since.toString());
            s.execute();
        }
    }

    /** Configured sets that do not exist on the node, in name order. */
    public List<String> missing(Connection c) throws SQLException {
        List<String> existing = existing(c);
        return configured.stream().filter(set -> !existing.contains(set)).sorted().toList();
    }

    private static List<String> existing(Connection c) throws SQLException {
        List<String> sets = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT substr(pubname, 8) FROM pg_publication"
                + " WHERE starts_with(pubname, 'pgmesh_') ORDER BY 1");
             ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                sets.add(rs.getString(1));
            }
        }
        return sets;
    }
}
