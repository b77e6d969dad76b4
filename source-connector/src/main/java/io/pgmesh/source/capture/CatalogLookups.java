package io.pgmesh.source.capture;

import io.pgmesh.common.Lsn;
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
     * The streamed replication sets whose publication contained the table when the transaction
     * committed at {@code commitLsn} was decoded up to here (looked up by the relation's oid, so a
     * renamed table is still found): the sets it is in now, with the membership changes that
     * commit after that point, or were not decoded yet, undone.
     */
    List<SetMembership> memberships(int relationId, TableId table, Lsn commitLsn) throws SQLException;

    /**
     * The stream reached membership change {@code entry} of table {@code relationId} (its
     * {@code pgmesh.members} message), in the transaction committed at {@code commitLsn}: from
     * here on it is in effect, and it is recorded so for streams that start later.
     */
    void membershipDecoded(long entry, int relationId, long xid, Lsn commitLsn) throws SQLException;
}
