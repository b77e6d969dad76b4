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
record ApplyResult(Version localRow, Version tombstone, boolean applied, String localImage) {

    static ApplyResult read(ResultSet rs) throws SQLException {
        Version local = rs.getBoolean(1) ? version(rs, 2) : null;
        Version tombstone = rs.getBoolean(4) ? version(rs, 5) : null;
        return new ApplyResult(local, tombstone, rs.getBoolean(7), rs.getString(8));
    }

    private static Version version(ResultSet rs, int column) throws SQLException {
        long micros = rs.getLong(column);
        long time = rs.wasNull() ? Version.UNKNOWN_TIME : micros;
        return new Version(time, rs.getString(column + 1));
    }

    ConflictJudge.Outcome outcome() {
        return new ConflictJudge.Outcome(localRow, tombstone, applied);
    }
}
