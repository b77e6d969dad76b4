package io.pgmesh.testkit.workload;

import io.pgmesh.testkit.postgres.PostgresNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs random inserts, updates, deletes and key moves on {@code kv (k int PRIMARY KEY, v text,
 * n int)} over a small key range, in transactions of one to three statements, on a thread of its
 * own. Several writers on several nodes over the same keys make every kind of conflict. A
 * statement the node refuses (a duplicate key, a deadlock) rolls its transaction back, as an
 * application would see it.
 */
public final class RandomWriter {

    private final PostgresNode server;
    private final String database;
    private final int keys;
    private final int operations;
    private final Random random;
    private final String tag;
    private final AtomicInteger committed = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;
    /** Longest pause between two transactions, in microseconds (0: none); each pause is random below it. */
    private volatile long maxPauseMicros;

    public RandomWriter(PostgresNode server, String database, int keys, int operations, long seed) {
        this.server = server;
        this.database = database;
        this.keys = keys;
        this.operations = operations;
        this.random = new Random(seed);
        this.tag = server.name();
        this.thread = new Thread(this::run, "random-writer-" + tag);
    }

    /**
     * Pauses a random time below {@code micros} between transactions, so that several writers
     * meet each other and the sinks at other moments than when they run flat out.
     */
    public RandomWriter pausingUpTo(long micros) {
        this.maxPauseMicros = micros;
        return this;
    }

    public RandomWriter start() {
        thread.start();
        return this;
    }

    /** Waits for every operation to be done; returns how many transactions committed. */
    public int await() throws InterruptedException {
        thread.join();
        if (failure.get() != null) {
            throw new AssertionError("writer on " + tag + " failed", failure.get());
        }
        return committed.get();
    }

    public int refused() {
        return refused.get();
    }

    private void run() {
        try (Connection c = server.connect(database)) {
            c.setAutoCommit(false);
            int done = 0;
            while (done < operations) {
                int statements = 1 + random.nextInt(3);
                try {
                    for (int i = 0; i < statements; i++) {
                        one(c, done + i);
                    }
                    c.commit();
                    committed.incrementAndGet();
                } catch (SQLException e) {
                    c.rollback();
                    refused.incrementAndGet();
                }
                done += statements;
                pause();
            }
        } catch (SQLException | RuntimeException e) {
            failure.set(e);
        }
    }

    private void pause() {
        long max = maxPauseMicros;
        if (max > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(1000 * (long) (random.nextDouble() * max));
        }
    }

    private void one(Connection c, int n) throws SQLException {
        int k = random.nextInt(keys);
        int choice = random.nextInt(100);
        if (choice < 40) {
            execute(c, "INSERT INTO kv VALUES (?, ?, 0) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, n = kv.n + 1",
                    k, tag + "-" + n);
        } else if (choice < 75) {
            execute(c, "UPDATE kv SET v = ?, n = n + 1 WHERE k = ?", tag + "-" + n, k);
        } else if (choice < 95) {
            execute(c, "DELETE FROM kv WHERE k = ?", k);
        } else {
            execute(c, "UPDATE kv SET k = ? WHERE k = ?", keys + random.nextInt(keys), k);
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
