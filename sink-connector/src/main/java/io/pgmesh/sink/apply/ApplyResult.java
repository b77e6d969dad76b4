package io.pgmesh.sink.apply;

import io.pgmesh.sink.conflict.ConflictJudge;
import io.pgmesh.sink.conflict.Version;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * What an apply statement found and did.
 *
 * @param localRow   the local row's version before the change, null when there was no row
 * @param tombstone  the newest tombstone (or truncate marker) when there was no row, else null
 * @param applied    whether the change was written
 * @param localImage the local row as JSON, when asked for and present
 */
record ApplyResult(Found localRow, Found tombstone, boolean applied, String localImage) {

    /**
     * A version as the statement reports it: its commit time (microseconds since the Unix epoch,
     * {@link Version#UNKNOWN_TIME} when unknown) and the roident of its replication origin (null
     * when the transaction left no commit timestamp record), which {@link OriginNodes} names.
     */
    record Found(long commitMicros, Long roident) {

        Version version(OriginNodes nodes) throws SQLException {
            return new Version(commitMicros, nodes.nodeOf(roident));
        }
    }

    static ApplyResult read(ResultSet rs) throws SQLException {
        Found local = rs.getBoolean(1) ? found(rs, 2) : null;
        Found tombstone = rs.getBoolean(4) ? found(rs, 5) : null;
        return new ApplyResult(local, tombstone, rs.getBoolean(7), rs.getString(8));
    }

    private static Found found(ResultSet rs, int column) throws SQLException {
        long micros = rs.getLong(column);
        long time = rs.wasNull() ? Version.UNKNOWN_TIME : micros;
        long roident = rs.getLong(column + 1);
        return new Found(time, rs.wasNull() ? null : roident);
    }

    /** The outcome to judge, with the versions' origins named. */
    ConflictJudge.Outcome outcome(OriginNodes nodes) throws SQLException {
        return new ConflictJudge.Outcome(localRow == null ? null : localRow.version(nodes),
                tombstone == null ? null : tombstone.version(nodes), applied);
    }
}
