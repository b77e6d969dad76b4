package io.pgmesh.testkit.workload;

import io.pgmesh.testkit.postgres.PostgresNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes on one node, on a thread of its own, until stopped, riding out the node's outages: each
 * transaction appends one row to {@code events (node text, seq bigint, note text)} (no key: a
 * change applied twice shows as a duplicate row, one lost as a missing row) and updates one of a
 * few rows of {@code kv (k int PRIMARY KEY, v text, n int)} shared by every node's writer (so
 * last-update-wins has conflicts to settle). A failed transaction (the node is down, restarting
 * or frozen) is given up and the writer reconnects; whether its commit happened is for the node's
 * own tables to say, which is why checks compare nodes with each other, not with a count here.
 */
public final class FaultWriter {

    /** The tables the writer needs on every node. */
    public static final String[] SCHEMA = {
            "CREATE TABLE events (node text NOT NULL, seq bigint NOT NULL, note text)",
            "CREATE TABLE kv (k int PRIMARY KEY, v text, n int)"};

    private final PostgresNode server;
    private final String database;
    private final int keys;
    private final Random random;
    private final AtomicInteger committed = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicReference<Throwable> crash = new AtomicReference<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean paused;
    private volatile boolean idle;

    public FaultWriter(PostgresNode server, String database, int keys, long seed) {
        this.server = server;
        this.database = database;
        this.keys = keys;
        this.random = new Random(seed);
        this.thread = new Thread(this::run, "fault-writer-" + server.name());
        this.thread.setDaemon(true);
    }

    public FaultWriter start() {
        thread.start();
        return this;
    }

    /** Stops writing after the transaction under way and waits until it is done. */
    public void pause() throws InterruptedException {
        paused = true;
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!idle && thread.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        check();
    }

    public void resume() {
        paused = false;
    }

    public int committed() {
        return committed.get();
    }

    /** Transactions given up because the node failed them (down, restarting, frozen). */
    public int failed() {
        return failed.get();
    }

    public void stop() throws InterruptedException {
        running = false;
        thread.join(120_000);
        check();
    }

    private void check() {
        if (crash.get() != null) {
            throw new AssertionError("writer on " + server.name() + " crashed", crash.get());
        }
    }

    private void run() {
        long seq = 0;
        Connection c = null;
        try {
            while (running) {
                if (paused) {
                    idle = true;
                    Thread.sleep(20);
                    continue;
                }
                idle = false;
                try {
                    if (c == null) {
                        c = server.connect(database);
                        c.setAutoCommit(false);
                    }
                    seq++;
                    write(c, seq);
                    committed.incrementAndGet();
                    Thread.sleep(10);
                } catch (SQLException e) {
                    failed.incrementAndGet();
                    close(c);
                    c = null;
                    Thread.sleep(200);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            crash.set(e);
        } finally {
            idle = true;
            close(c);
        }
    }

    private void write(Connection c, long seq) throws SQLException {
        try (PreparedStatement event = c.prepareStatement("INSERT INTO events VALUES (?, ?, ?)");
             PreparedStatement kv = c.prepareStatement("INSERT INTO kv VALUES (?, ?, 1) ON CONFLICT (k) DO UPDATE"
                     + " SET v = EXCLUDED.v, n = kv.n + 1")) {
            event.setString(1, server.name());
            event.setLong(2, seq);
            event.setString(3, "event " + seq + " of " + server.name());
            event.executeUpdate();
            kv.setInt(1, random.nextInt(keys));
            kv.setString(2, server.name() + ":" + seq);
            kv.executeUpdate();
            c.commit();
        } catch (SQLException e) {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // the connection is gone; the caller reconnects
            }
            throw e;
        }
    }

    private static void close(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // already broken
            }
        }
    }
}
