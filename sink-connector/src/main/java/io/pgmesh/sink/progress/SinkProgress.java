package io.pgmesh.sink.progress;

import io.pgmesh.common.Lsn;
import io.pgmesh.sink.conflict.SeenVector;
import io.pgmesh.sink.pipeline.StatementPipeline;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a sink stands in a topic partition, stored in pgmesh.sink_progress in the same
 * transaction as what it applied: the next offset to read, and what the peer is known to have
 * seen (see {@link SeenVector}). On start the sink seeks there, whatever Kafka's consumer group
 * remembers.
 */
public final class SinkProgress {

    /** A stored position. */
    public record Position(long nextOffset, SeenVector seen) {
    }

    private static final String READ = "SELECT next_offset, seen::text, pgmesh.micros(started_at)"
            + " FROM pgmesh.sink_progress"
            + " WHERE connector = ? AND topic = ? AND kafka_partition = ?";
    private static final String WRITE = "INSERT INTO pgmesh.sink_progress AS p (connector, topic, kafka_partition,"
            + " next_offset, seen, updated_at) VALUES (?, ?, ?, ?, ?::jsonb, now())"
            + " ON CONFLICT (connector, topic, kafka_partition) DO UPDATE SET next_offset = EXCLUDED.next_offset,"
            + " seen = EXCLUDED.seen, updated_at = now()";
    /*
     * The origin's progress must move forward: if it does not, another instance of this sink (one
     * Connect gave up stopping) applied the transaction meanwhile, and pgmesh.applied_once fails
     * this one (serialization_failure: rolled back, read again, and then passed over).
     */
    private static final String WRITE_WITH_ORIGIN = "WITH o AS (INSERT INTO pgmesh.applied_origins AS a (origin, lsn,"
            + " commit_ts, transactions) VALUES (?, ?::pg_lsn, ?::timestamptz, 1) ON CONFLICT (origin) DO UPDATE"
            + " SET lsn = EXCLUDED.lsn, commit_ts = EXCLUDED.commit_ts, updated_at = now(),"
            + " transactions = a.transactions + 1 WHERE a.lsn < EXCLUDED.lsn RETURNING a.origin, a.lsn)"
            + " INSERT INTO pgmesh.sink_progress AS p (connector, topic, kafka_partition, next_offset, seen, updated_at)"
            + " SELECT ?, ?, ?, ?, ?::jsonb, now() WHERE pgmesh.applied_once((SELECT count(*) FROM o), ?, ?::pg_lsn)"
            + " ON CONFLICT (connector, topic, kafka_partition) DO UPDATE SET next_offset = EXCLUDED.next_offset,"
            + " seen = EXCLUDED.seen, updated_at = now()";
    /** The origin's progress alone, as in {@link #WRITE_WITH_ORIGIN}: the position is stored once per exchange. */
    private static final String APPLIED_ORIGIN = "WITH o AS (INSERT INTO pgmesh.applied_origins AS a (origin, lsn,"
            + " commit_ts, transactions) VALUES (?, ?::pg_lsn, ?::timestamptz, 1) ON CONFLICT (origin) DO UPDATE"
            + " SET lsn = EXCLUDED.lsn, commit_ts = EXCLUDED.commit_ts, updated_at = now(),"
            + " transactions = a.transactions + 1 WHERE a.lsn < EXCLUDED.lsn RETURNING a.origin)"
            + " SELECT pgmesh.applied_once((SELECT count(*) FROM o), ?, ?::pg_lsn)";
    private static final String APPLIED = "SELECT lsn::text FROM pgmesh.applied_origins WHERE origin = ?";
    private static final Pattern ENTRY = Pattern.compile("\"([a-z0-9_]{1,32})\"\\s*:\\s*(-?\\d+)");

    private final String connector;

    public SinkProgress(String connector) {
        this.connector = connector;
    }

    public Optional<Position> read(Connection c, String topic, int partition) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(READ)) {
            s.setString(1, connector);
            s.setString(2, topic);
            s.setInt(3, partition);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(new Position(rs.getLong(1), parse(rs.getString(2), rs.getLong(3))))
                        : Optional.empty();
            }
        }
    }

    /** Stores the position in the connection's current transaction. */
    public void write(Connection c, String topic, int partition, long nextOffset, SeenVector seen) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(WRITE)) {
            bindPosition(s, 1, topic, partition, nextOffset, seen);
            s.executeUpdate();
        }
    }

    /**
     * Stores the position and that {@code origin}'s transaction at {@code originLsn} is applied, in
     * the connection's current transaction: the two commit, or roll back, with what was applied.
     */
    public void write(Connection c, String topic, int partition, long nextOffset, SeenVector seen, String origin,
                      Lsn originLsn, String originCommitTime) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(WRITE_WITH_ORIGIN)) {
            s.setString(1, origin);
            s.setString(2, originLsn.toString());
            s.setString(3, originCommitTime);
            bindPosition(s, 4, topic, partition, nextOffset, seen);
            s.setString(9, origin);
            s.setString(10, originLsn.toString());
            s.executeUpdate();
        }
    }

    /** As {@link #write(Connection, String, int, long, SeenVector, String, Lsn, String)}, queued in {@code pipeline}. */
    public void queueWrite(StatementPipeline pipeline, String topic, int partition, long nextOffset, SeenVector seen,
                           String origin, Lsn originLsn, String originCommitTime) {
        String seenJson = format(seen);
        pipeline.add(WRITE_WITH_ORIGIN, a -> {
            a.text(origin).text(originLsn.toString()).text(originCommitTime);
            position(a, topic, partition, nextOffset, seenJson);
            a.text(origin).text(originLsn.toString());
        }, null);
    }

    /**
     * Records, in {@code pipeline}'s current transaction, that {@code origin}'s transaction at
     * {@code originLsn} is applied, without the partition's position: for a transaction committed
     * in an exchange whose last transaction stores the position. Should the exchange stop after it,
     * the sink resumes at the position stored before and passes it over by its origin LSN.
     */
    public void queueApplied(StatementPipeline pipeline, String origin, Lsn originLsn, String originCommitTime) {
        pipeline.add(APPLIED_ORIGIN, a -> a.text(origin).text(originLsn.toString()).text(originCommitTime)
                .text(origin).text(originLsn.toString()), null);
    }

    /** As {@link #write(Connection, String, int, long, SeenVector)}, queued in {@code pipeline}. */
    public void queueWrite(StatementPipeline pipeline, String topic, int partition, long nextOffset, SeenVector seen) {
        String seenJson = format(seen);
        pipeline.add(WRITE, a -> position(a, topic, partition, nextOffset, seenJson), null);
    }

    /** The last transaction of {@code origin} applied on this node; {@link Lsn#INVALID} when none. */
    public static Lsn applied(Connection c, String origin) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(APPLIED)) {
            s.setString(1, origin);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Lsn.parse(rs.getString(1)) : Lsn.INVALID;
            }
        }
    }

    private void bindPosition(PreparedStatement s, int first, String topic, int partition, long nextOffset,
                              SeenVector seen) throws SQLException {
        bindPosition(s, first, topic, partition, nextOffset, format(seen));
    }

    private void bindPosition(PreparedStatement s, int first, String topic, int partition, long nextOffset,
                              String seenJson) throws SQLException {
        s.setString(first, connector);
        s.setString(first + 1, topic);
        s.setInt(first + 2, partition);
        s.setLong(first + 3, nextOffset);
        s.setString(first + 4, seenJson);
    }

    private void position(io.pgmesh.sink.pipeline.Arguments a, String topic, int partition, long nextOffset,
                          String seenJson) {
        a.text(connector).text(topic).number(partition).number(nextOffset).text(seenJson);
    }

    static String format(SeenVector seen) {
        StringBuilder json = new StringBuilder("{");
        for (Map.Entry<String, Long> e : seen.asMap().entrySet()) {
            json.append(json.length() > 1 ? "," : "").append('"').append(e.getKey()).append("\":").append(e.getValue());
        }
        return json.append('}').toString();
    }

    static SeenVector parse(String json, long floorMicros) {
        Map<String, Long> latest = new HashMap<>();
        Matcher m = ENTRY.matcher(json == null ? "" : json);
        while (m.find()) {
            latest.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return SeenVector.of(latest, floorMicros);
    }
}
