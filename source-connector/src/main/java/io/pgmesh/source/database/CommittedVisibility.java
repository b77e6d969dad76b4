package io.pgmesh.source.database;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits until a transaction the stream decoded is visible to this session. The server streams a
 * transaction as soon as its commit record is in the WAL, a moment before the committing backend
 * leaves the proc array; until then a new snapshot does not see its rows, and an UPDATE of a row it
 * inserted finds nothing. What the source writes about a decoded transaction (the commit position
 * of a membership change, the position a new set is streamable from) waits here first.
 */
public final class CommittedVisibility {

    private static final Logger LOG = LoggerFactory.getLogger(CommittedVisibility.class);
    /** Decoded transactions are committed: only a server far behind on its proc array waits this long. */
    static final Duration PATIENCE = Duration.ofSeconds(30);

    // the 32-bit xid of a recent transaction, widened with the epoch of the snapshot's xmax
    private static final String VISIBLE = """
            SELECT pg_visible_in_snapshot((x.full - ((x.full & 4294967295) - ? + 4294967296) % 4294967296)::text::xid8,
                                          x.snap)
            FROM (SELECT pg_snapshot_xmax(s)::text::bigint AS full, s AS snap FROM pg_current_snapshot() AS s) AS x""";

    private CommittedVisibility() {
    }

    /**
     * Returns once transaction {@code xid} (committed, as the stream says) is visible to new
     * snapshots of {@code c}; after {@link #PATIENCE} it logs why and returns anyway.
     */
    public static void await(Connection c, long xid, String what) throws SQLException {
        long started = System.nanoTime();
        long pauseMillis = 1;
        try (PreparedStatement s = c.prepareStatement(VISIBLE)) {
            s.setLong(1, xid & 0xFFFFFFFFL);
            while (!visible(s)) {
                if (System.nanoTime() - started > PATIENCE.toNanos()) {
                    LOG.warn("Transaction {} ({}) is still not visible {} s after the stream delivered its commit;"
                            + " going on without waiting", xid, what, PATIENCE.toSeconds());
                    return;
                }
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SQLException("Interrupted while waiting for transaction " + xid + " to be visible", "57014", e);
                }
                pauseMillis = Math.min(pauseMillis * 2, 50);
            }
        }
    }

    private static boolean visible(PreparedStatement s) throws SQLException {
        try (ResultSet rs = s.executeQuery()) {
            return rs.next() && rs.getBoolean(1);
        }
    }
}
