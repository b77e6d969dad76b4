package io.pgmesh.source.database;

import io.pgmesh.common.TableId;
import io.pgmesh.source.capture.CatalogLookups;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link CatalogLookups} against the node, one query per Relation message. The connection must
 * use {@code search_path=pg_catalog} (see {@link SourceConnections#control}) so that
 * {@code format_type} qualifies every type outside pg_catalog.
 */
public final class CatalogQueries implements CatalogLookups {

    private static final Logger LOG = LoggerFactory.getLogger(CatalogQueries.class);

    private final Connection connection;
    private final Map<String, String> setByPublication;

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
    public SortedSet<String> setsOf(TableId table) throws SQLException {
        SortedSet<String> sets = new TreeSet<>();
        try (PreparedStatement s = connection.prepareStatement("SELECT pubname FROM pg_publication_tables"
                + " WHERE schemaname = ? AND tablename = ? AND pubname = ANY(?)")) {
            s.setString(1, table.schema());
            s.setString(2, table.table());
            s.setArray(3, connection.createArrayOf("text", setByPublication.keySet().toArray()));
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    sets.add(setByPublication.get(rs.getString(1)));
                }
            }
        }
        if (sets.isEmpty()) {
            LOG.warn("Table {} is in none of the streamed publications {} now, yet the server streamed a change of it"
                    + " (dropped or renamed since?); tagging it with every streamed set", table, setByPublication.keySet());
            sets.addAll(setByPublication.values());
        }
        return sets;
    }
}
