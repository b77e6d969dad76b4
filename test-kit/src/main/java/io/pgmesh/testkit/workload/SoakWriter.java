package io.pgmesh.testkit.workload;

import io.pgmesh.testkit.postgres.PostgresNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An application that writes on one node for a fault soak, until stopped, riding out the node's
 * outages ({@link NodeWriter}): transactions of one to four changes of {@code soak_kv} over a
 * small key space shared by every node (inserts, updates, deletes, key moves, large TOASTed values
 * written and left unchanged), some with a savepoint rolled back or released, some rolled back
 * whole; every committed transaction also appends one row to the keyless {@code soak_events}, so a
 * transaction lost or applied twice shows as a missing or a duplicate row.
 */
public final class SoakWriter extends NodeWriter {

    /** The tables the writer needs on every node. */
    public static final String[] SCHEMA = {
            "CREATE TABLE soak_events (node text NOT NULL, seq bigint NOT NULL, note text)",
            "CREATE TABLE soak_kv (k int PRIMARY KEY, v text, n int NOT NULL DEFAULT 0, big text)"};

    private final int keys;
    private final Random random;
    private final AtomicInteger rolledBack = new AtomicInteger();

    public SoakWriter(PostgresNode server, String database, int keys, long seed) {
        super(server, database, "soak-writer");
        this.keys = keys;
        this.random = new Random(seed);
    }

    public SoakWriter start() {
        startWriting();
        return this;
    }

    /** Transactions the writer rolled back on purpose, or the node refused (a duplicate key). */
    public int rolledBack() {
        return rolledBack.get();
    }

    @Override
    protected long pauseMillis() {
        return 20 + random.nextInt(30);
    }

    @Override
    protected boolean transaction(Connection c, long seq) throws SQLException {
        try (Statement s = c.createStatement()) {
            execute(c, "INSERT INTO soak_events VALUES (?, ?, ?)", server().name(), seq, "transaction " + seq);
            int changes = 1 + random.nextInt(4);
            for (int i = 0; i < changes; i++) {
                if (random.nextInt(5) == 0) {
                    s.execute("SAVEPOINT sp");
                    change(c, seq);
                    s.execute(random.nextBoolean() ? "ROLLBACK TO SAVEPOINT sp" : "RELEASE SAVEPOINT sp");
                } else {
                    change(c, seq);
                }
            }
            if (random.nextInt(20) == 0) {
                c.rollback();
                rolledBack.incrementAndGet();
                return false;
            }
            c.commit();
            return true;
        } catch (SQLException e) {
            try {
                c.rollback();
            } catch (SQLException gone) {
                throw e;
            }
            if (e.getSQLState() != null && (e.getSQLState().startsWith("23") || e.getSQLState().startsWith("40"))) {
                rolledBack.incrementAndGet();
                return false;
            }
            throw e;
        }
    }

    private void change(Connection c, long seq) throws SQLException {
        int k = random.nextInt(keys);
        String v = server().name() + "-" + seq;
        int choice = random.nextInt(100);
        if (choice < 30) {
            execute(c, "INSERT INTO soak_kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v,"
                    + " n = soak_kv.n + 1", k, v);
        } else if (choice < 55) {
            execute(c, "UPDATE soak_kv SET v = ?, n = n + 1 WHERE k = ?", v, k);
        } else if (choice < 65) {
            // a value PostgreSQL stores out of line (TOAST); later updates leave it unchanged
            execute(c, "UPDATE soak_kv SET big = repeat(md5(?), 400), n = n + 1 WHERE k = ?", v, k);
        } else if (choice < 85) {
            execute(c, "DELETE FROM soak_kv WHERE k = ?", k);
        } else {
            execute(c, "UPDATE soak_kv SET k = ? WHERE k = ?", random.nextInt(2 * keys), k);
        }
    }

    private static void execute(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setObject(i + 1, params[i]);
            }
            s.executeUpdate();
        }
    }

}
