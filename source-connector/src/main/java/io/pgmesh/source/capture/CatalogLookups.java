package io.pgmesh.source.capture;

import io.pgmesh.common.TableId;
import java.sql.SQLException;
import java.util.List;

/** What the capture needs from the node's catalog when a table is first described (a Relation message). */
public interface CatalogLookups {

    /**
     * Type names as {@code format_type(oid, typmod)} prints them with {@code search_path=pg_catalog}
     * (schema-qualified outside pg_catalog), one per (oid, typmod) pair, in order; {@code "???"} for
     * a type that no longer exists.
     */
    List<String> typeNames(List<Integer> typeOids, List<Integer> typeModifiers) throws SQLException;

    /**
     * The streamed replication sets whose publication contains the table, as the catalog says now
     * (looked up by the relation's oid, so a renamed table is still found). May be cached for a
     * few seconds.
     */
    List<SetMembership> memberships(int relationId, TableId table) throws SQLException;
}
