package io.pgmesh.source.stream;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads now and then how much WAL the node wrote past what its slot has confirmed, that is what
 * Kafka has not acknowledged yet, for the {@code capture-lag-bytes} metric.
 */
final class SlotLagProbe {

    static final Duration INTERVAL = Duration.ofSeconds(5);
    private static final String QUERY = "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint"
            + " FROM pg_replication_slots WHERE slot_name = ?";

    private final Connection connection;
    private final String slot;
    private final AtomicLong lagBytes;
    private long nextAt;

    SlotLagProbe(Connection connection, String slot, AtomicLong lagBytes, long nowNanos) {
        this.connection = connection;
        this.slot = slot;
        this.lagBytes = lagBytes;
        this.nextAt = nowNanos;
    }

    void maybeRead(long nowNanos) throws SQLException {
        if (nowNanos - nextAt < 0) {
            return;
        }
        try (PreparedStatement s = connection.prepareStatement(QUERY)) {
            s.setString(1, slot);
            try (ResultSet rs = s.executeQuery()) {
                lagBytes.set(rs.next() ? Math.max(0, rs.getLong(1)) : -1);
            }
        }
        nextAt = nowNanos + INTERVAL.toNanos();
    }
}
