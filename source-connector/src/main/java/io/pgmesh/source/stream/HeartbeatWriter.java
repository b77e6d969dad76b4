package io.pgmesh.source.stream;

import io.pgmesh.common.envelope.LogicalMessage;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * Writes a non-transactional heartbeat message into the node's WAL every interval. It reaches the
 * topic like any change; once Kafka has it, the slot is confirmed past it, so an idle node's slot
 * keeps advancing and its WAL is recycled. The content is the server's clock in microseconds since
 * the Unix epoch, which peers use to measure lag.
 */
final class HeartbeatWriter {

    private static final String EMIT = "SELECT pg_logical_emit_message(false, '" + LogicalMessage.HEARTBEAT_PREFIX
            + "', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint::text)";

    private final Connection connection;
    private final long intervalNanos;
    private long nextAt;

    HeartbeatWriter(Connection connection, Duration interval, long nowNanos) {
        this.connection = connection;
        this.intervalNanos = interval.toNanos();
        this.nextAt = nowNanos + intervalNanos;
    }

    /** Writes a heartbeat when one is due. */
    void maybeWrite(long nowNanos) throws SQLException {
        if (intervalNanos <= 0 || nowNanos - nextAt < 0) {
            return;
        }
        try (Statement s = connection.createStatement()) {
            s.execute(EMIT);
        }
        nextAt = nowNanos + intervalNanos;
    }
}
