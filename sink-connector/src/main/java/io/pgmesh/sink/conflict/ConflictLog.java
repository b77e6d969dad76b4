package io.pgmesh.sink.conflict;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.TableId;
import io.pgmesh.common.json.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;

/**
 * Writes conflicts to pgmesh.conflicts and counts them in pgmesh.conflict_counters, inside the
 * apply transaction, so a conflict is logged exactly when its resolution commits.
 */
public final class ConflictLog {

    private static final String INSERT = "INSERT INTO pgmesh.conflicts (conflict_type, table_schema, table_name, key,"
            + " local_commit_ts, local_origin, remote_commit_ts, remote_origin, remote_lsn, resolution, local_row,"
            + " remote_row) VALUES (?, ?, ?, ?::jsonb, ?::timestamptz, ?, ?::timestamptz, ?, ?::pg_lsn, ?, ?::jsonb, ?::jsonb)";
    private static final String COUNT = "INSERT INTO pgmesh.conflict_counters AS c (conflict_type, resolution, count,"
            + " last_at) VALUES (?, ?, 1, now()) ON CONFLICT (conflict_type, resolution)"
            + " DO UPDATE SET count = c.count + 1, last_at = now()";

    private final boolean withRows;

    /** @param withRows whether to keep the local and remote row images */
    public ConflictLog(boolean withRows) {
        this.withRows = withRows;
    }

    public boolean withRows() {
        return withRows;
    }

    /** One conflict: what, where, both versions and images (images dropped unless configured). */
    public record Entry(Conflict conflict, TableId table, Map<String, String> key, Version remote, Lsn remoteLsn,
                        String localRow, Map<String, String> remoteRow) {
    }

    public void log(Connection c, Entry e) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(INSERT)) {
            s.setString(1, e.conflict().type().wireName());
            s.setString(2, e.table().schema());
            s.setString(3, e.table().table());
            s.setString(4, Json.write(e.key()));
            Version local = e.conflict().local();
            s.setString(5, local == null ? null : local.timestamptz());
            s.setString(6, local == null ? null : local.node());
            s.setString(7, e.remote().timestamptz());
            s.setString(8, e.remote().node());
            s.setString(9, e.remoteLsn().toString());
            s.setString(10, e.conflict().resolution().wireName());
            s.setString(11, withRows ? e.localRow() : null);
            s.setString(12, withRows && e.remoteRow() != null ? Json.write(e.remoteRow()) : null);
            s.executeUpdate();
        }
        try (PreparedStatement s = c.prepareStatement(COUNT)) {
            s.setString(1, e.conflict().type().wireName());
            s.setString(2, e.conflict().resolution().wireName());
            s.executeUpdate();
        }
    }

}
