package io.pgmesh.common.health;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Optional;

/**
 * A connector's last look at its own progress, in its node's pgmesh.connector_health: whether it
 * is stalled, since when and waiting for what. {@code pgmeshctl status} shows it, even while
 * Connect says RUNNING; a report that grows old says the connector instance itself stopped looking.
 */
public final class HealthReport {

    /** Which connector of a node reports. */
    public enum Kind { SOURCE, SINK }

    private static final String UPSERT = "INSERT INTO pgmesh.connector_health AS h (connector, kind, stalled_since,"
            + " waiting_for, checked_at) VALUES (?, ?, to_timestamp(?::double precision / 1000), ?, now())"
            + " ON CONFLICT (connector) DO UPDATE SET kind = EXCLUDED.kind, stalled_since = EXCLUDED.stalled_since,"
            + " waiting_for = EXCLUDED.waiting_for, checked_at = now()";

    private HealthReport() {
    }

    /** Records the look in {@code c}'s current transaction (autocommit or the caller's). */
    public static void write(Connection c, String connector, Kind kind, Optional<ProgressWatch.Stalled> stall)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement(UPSERT)) {
            s.setString(1, connector);
            s.setString(2, kind.name().toLowerCase(java.util.Locale.ROOT));
            if (stall.isPresent()) {
                s.setLong(3, stall.get().sinceMs());
                s.setString(4, stall.get().waitingFor());
            } else {
                s.setNull(3, java.sql.Types.BIGINT);
                s.setNull(4, java.sql.Types.VARCHAR);
            }
            s.executeUpdate();
        }
    }
}
