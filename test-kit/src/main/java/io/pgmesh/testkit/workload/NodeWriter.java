package io.pgmesh.testkit.workload;

import io.pgmesh.testkit.postgres.PostgresNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An application writing on one node on a thread of its own, until stopped, riding out the node's
 * outages: a transaction the node fails (down, restarting, frozen) is given up and the writer
 * reconnects. Whether such a commit happened is for the node's own tables to say, which is why
 * checks compare nodes with each other, not with a count here. Subclasses write one transaction.
 */
public abstract class NodeWriter {

    private final PostgresNode server;
    private final String database;
    private final AtomicInteger committed = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicReference<Throwable> crash = new AtomicReference<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean paused;
    private volatile boolean idle;

    protected NodeWriter(PostgresNode server, String database, String kind) {
        this.server = server;
        this.database = database;
        this.thread = new Thread(this::run, kind + "-" + server.name());
        this.thread.setDaemon(true);
    }

    /**
     * Writes transaction number {@code seq} on {@code c} (autocommit off) and ends it.
     *
     * @return whether it committed (false: rolled back on purpose, or refused by the node)
     * @throws SQLException when the node failed it; the writer reconnects
     */
    protected abstract boolean transaction(Connection c, long seq) throws SQLException;

    /** How long to wait between two transactions, in milliseconds. */
    protected abstract long pauseMillis();

    protected final PostgresNode server() {
        return server;
    }

    public final NodeWriter startWriting() {
        thread.start();
        return this;
    }

    /** Stops writing after the transaction under way and waits until it is done. */
    public final void pause() throws InterruptedException {
        paused = true;
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!idle && thread.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        check();
    }

    public final void resume() {
        paused = false;
    }

    public final int committed() {
        return committed.get();
    }

    /** Transactions given up because the node failed them (down, restarting, frozen). */
    public final int failed() {
        return failed.get();
    }

    /** Stops after the transaction under way (waiting up to two minutes for a frozen node). */
    public final void stop() throws InterruptedException {
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
                    if (transaction(c, seq)) {
                        committed.incrementAndGet();
                    }
                    Thread.sleep(pauseMillis());
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
