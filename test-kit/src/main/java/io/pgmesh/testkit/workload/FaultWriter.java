package io.pgmesh.testkit.workload;

import io.pgmesh.testkit.postgres.PostgresNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Random;

/**
 * Writes on one node until stopped, riding out the node's outages ({@link NodeWriter}): each
 * transaction appends one row to {@code events (node text, seq bigint, note text)} (no key: a
 * change applied twice shows as a duplicate row, one lost as a missing row) and updates one of a
 * few rows of {@code kv (k int PRIMARY KEY, v text, n int)} shared by every node's writer (so
 * last-update-wins has conflicts to settle).
 */
public final class FaultWriter extends NodeWriter {

    /** The tables the writer needs on every node. */
    public static final String[] SCHEMA = {
            "CREATE TABLE events (node text NOT NULL, seq bigint NOT NULL, note text)",
            "CREATE TABLE kv (k int PRIMARY KEY, v text, n int)"};

    private final int keys;
    private final Random random;

    public FaultWriter(PostgresNode server, String database, int keys, long seed) {
        super(server, database, "fault-writer");
        this.keys = keys;
        this.random = new Random(seed);
    }

    public FaultWriter start() {
        startWriting();
        return this;
    }

    @Override
    protected long pauseMillis() {
        return 10;
    }

    @Override
    protected boolean transaction(Connection c, long seq) throws SQLException {
        try (PreparedStatement event = c.prepareStatement("INSERT INTO events VALUES (?, ?, ?)");
             PreparedStatement kv = c.prepareStatement("INSERT INTO kv VALUES (?, ?, 1) ON CONFLICT (k) DO UPDATE"
                     + " SET v = EXCLUDED.v, n = kv.n + 1")) {
            event.setString(1, server().name());
            event.setLong(2, seq);
            event.setString(3, "event " + seq + " of " + server().name());
            event.executeUpdate();
            kv.setInt(1, random.nextInt(keys));
            kv.setString(2, server().name() + ":" + seq);
            kv.executeUpdate();
            c.commit();
            return true;
        } catch (SQLException e) {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // the connection is gone; the writer reconnects
            }
            throw e;
        }
    }
}
