package io.pgmesh.source.snapshot;

import io.pgmesh.common.NodeName;
import io.pgmesh.common.TableId;
import io.pgmesh.common.envelope.Operation;
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

/**
 * What a snapshot copies, read from the catalogs in the snapshot's own transaction: the tables of
 * the streamed publications with their published columns and row filters (as pgoutput combines
 * them: the union of the column lists, and no filter when one publication has none), and the
 * node's pgmesh replication origins. The connection must use {@code search_path=pg_catalog}, so
 * that type names and filters come out qualified exactly as the stream's.
 */
public final class SnapshotCatalog {

    private static final String TABLES = """
            SELECT c.oid, t.schemaname, t.tablename, c.relkind = 'p',
                   array_agg(t.pubname::text ORDER BY t.pubname), bool_or(t.rowfilter IS NULL),
                   string_agg('(' || t.rowfilter || ')', ' OR ' ORDER BY t.pubname)
            FROM pg_catalog.pg_publication_tables AS t
            JOIN pg_catalog.pg_namespace AS n ON n.nspname = t.schemaname
            JOIN pg_catalog.pg_class AS c ON c.relnamespace = n.oid AND c.relname = t.tablename
            WHERE t.pubname = ANY (?) AND t.schemaname <> 'pgmesh'
            GROUP BY c.oid, t.schemaname, t.tablename, c.relkind
            ORDER BY t.schemaname, t.tablename""";

    private static final String COLUMNS = """
            SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
                   CASE c.relreplident WHEN 'f' THEN true WHEN 'n' THEN false
                   ELSE coalesce(a.attnum = ANY ((SELECT i.indkey FROM pg_catalog.pg_index AS i
                                                  WHERE i.indrelid = c.oid AND CASE WHEN c.relreplident = 'd'
                                                  THEN i.indisprimary ELSE i.indisreplident END)::int2[]), false) END
            FROM pg_catalog.pg_attribute AS a JOIN pg_catalog.pg_class AS c ON c.oid = a.attrelid
            WHERE a.attrelid = ?::oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
              AND a.attname IN (SELECT unnest(t.attnames) FROM pg_catalog.pg_publication_tables AS t
                                WHERE t.pubname = ANY (?) AND t.schemaname = ? AND t.tablename = ?)
            ORDER BY a.attnum""";

    private static final String PUBLICATIONS = "SELECT pubname::text, pubinsert, pubupdate, pubdelete, pubtruncate"
            + " FROM pg_catalog.pg_publication WHERE pubname = ANY (?)";

    private static final String ORIGINS = "SELECT roident, roname FROM pg_catalog.pg_replication_origin";

    private SnapshotCatalog() {
    }

    /** @param setByPublication the streamed publications and the replication set each stands for */
    public static List<SnapshotTable> tables(Connection c, Map<String, String> setByPublication) throws SQLException {
        Array publications = c.createArrayOf("text", setByPublication.keySet().toArray());
        Map<String, SetMembership> memberships = new HashMap<>();
        try (PreparedStatement s = c.prepareStatement(PUBLICATIONS)) {
            s.setArray(1, publications);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    memberships.put(rs.getString(1), new SetMembership(setByPublication.get(rs.getString(1)),
                            rs.getBoolean(2), rs.getBoolean(3), rs.getBoolean(4), rs.getBoolean(5)));
                }
            }
        }
        List<SnapshotTable> tables = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(TABLES)) {
            s.setArray(1, publications);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    TableId table = new TableId(rs.getString(2), rs.getString(3));
                    List<SetMembership> of = new ArrayList<>();
                    for (Object pub : (Object[]) rs.getArray(5).getArray()) {
                        of.add(memberships.get((String) pub));
                    }
                    String filter = rs.getBoolean(6) ? null : rs.getString(7);
                    tables.add(new SnapshotTable(table, rs.getBoolean(4), columns(c, rs.getLong(1), publications, table),
                            filter, SetMembership.setsFor(of, Operation.INSERT)));
                }
            }
        }
        return tables;
    }

    private static List<SnapshotTable.Column> columns(Connection c, long oid, Array publications, TableId table)
            throws SQLException {
        List<SnapshotTable.Column> columns = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(COLUMNS)) {
            s.setLong(1, oid);
            s.setArray(2, publications);
            s.setString(3, table.schema());
            s.setString(4, table.table());
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    columns.add(new SnapshotTable.Column(rs.getString(1), rs.getString(2), rs.getBoolean(3)));
                }
            }
        }
        return columns;
    }

    /** The node's pgmesh replication origins by id (a row written under one came from that peer). */
    public static Map<Integer, NodeName> origins(Connection c) throws SQLException {
        Map<Integer, NodeName> origins = new HashMap<>();
        try (PreparedStatement s = c.prepareStatement(ORIGINS); ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                int id = rs.getInt(1);
                NodeName.fromOriginName(rs.getString(2)).ifPresent(n -> origins.put(id, n));
            }
        }
        return origins;
    }
}
