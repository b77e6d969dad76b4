package io.pgmesh.testkit.workload;

import io.pgmesh.testkit.postgres.PostgresNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * TPC-B-like transactions, as pgbench's default script writes them, on one connection of its own
 * until stopped: each updates an account and its branch and inserts a history row, committed
 * together. Tables are named {@code <prefix>accounts}, {@code <prefix>branches} and
 * {@code <prefix>history} with pgbench's columns.
 */
public final class TpcbWriter implements AutoCloseable {

    private final PostgresNode server;
    private final String database;
    private final String prefix;
    private final int firstAccount;
    private final int accounts;
    private final int branches;
    private final long pauseMillis;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicInteger committed = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;

    private TpcbWriter(PostgresNode server, String database, String prefix, int firstAccount, int accounts,
                       int branches, long pauseMillis) {
        this.server = server;
        this.database = database;
        this.prefix = prefix;
        this.firstAccount = firstAccount;
        this.accounts = accounts;
        this.branches = branches;
        this.pauseMillis = pauseMillis;
        this.thread = new Thread(this::run, "tpcb-writer-" + server.name());
        this.thread.setDaemon(true);
    }

    /**
     * Starts writing to accounts {@code firstAccount} to {@code lastAccount} (inclusive) and
     * branches 1 to {@code branches}, pausing {@code pauseMillis} after each commit.
     */
    public static TpcbWriter start(PostgresNode server, String database, String prefix, int firstAccount,
                                   int lastAccount, int branches, long pauseMillis) {
        TpcbWriter writer = new TpcbWriter(server, database, prefix, firstAccount, lastAccount - firstAccount + 1,
                branches, pauseMillis);
        writer.thread.start();
        return writer;
    }

    public int committed() {
        return committed.get();
    }

    /** Stops writing and returns how many transactions committed; fails if the writer failed. */
    public int stop() {
        stopped.set(true);
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure.get() != null) {
            throw new AssertionError("the TPC-B writer on " + server.name() + " failed", failure.get());
        }
        return committed.get();
    }

    @Override
    public void close() {
        stopped.set(true);
    }

    private void run() {
        try (Connection c = server.connect(database)) {
            c.setAutoCommit(false);
            try (PreparedStatement account = c.prepareStatement(
                    "UPDATE " + prefix + "accounts SET abalance = abalance + ? WHERE aid = ?");
                 PreparedStatement branch = c.prepareStatement(
                         "UPDATE " + prefix + "branches SET bbalance = bbalance + ? WHERE bid = ?");
                 PreparedStatement history = c.prepareStatement(
                         "INSERT INTO " + prefix + "history (tid, bid, aid, delta, mtime) VALUES (1, ?, ?, ?, now())")) {
                while (!stopped.get()) {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    int aid = firstAccount + random.nextInt(accounts);
                    int bid = 1 + random.nextInt(branches);
                    int delta = random.nextInt(-5000, 5001);
                    account.setInt(1, delta);
                    account.setInt(2, aid);
                    account.executeUpdate();
                    branch.setInt(1, delta);
                    branch.setInt(2, bid);
                    branch.executeUpdate();
                    history.setInt(1, bid);
                    history.setInt(2, aid);
                    history.setInt(3, delta);
                    history.executeUpdate();
                    c.commit();
                    committed.incrementAndGet();
                    if (pauseMillis > 0) {
                        Thread.sleep(pauseMillis);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            failure.set(e);
        }
    }
}
