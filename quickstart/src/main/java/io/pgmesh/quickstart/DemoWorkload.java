package io.pgmesh.quickstart;

import io.pgmesh.testkit.postgres.PostgresNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The demo's application: one writer per node, all at once, each transaction moving money on a
 * shared account (accounts 1 to {@link #SHARED}, which every node updates, so nodes collide and
 * last-update-wins decides), opening an account of its own with a snowflake id, and now and then
 * closing one it opened.
 */
final class DemoWorkload implements AutoCloseable {

    static final int SHARED = 200;
    static final String TABLE = "accounts";
    static final String CREATE = "CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL,"
            + " balance bigint NOT NULL DEFAULT 0, updated_on text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())";

    private final List<Writer> writers = new ArrayList<>();

    DemoWorkload(List<PostgresNode> nodes, long pauseMillis) {
        for (PostgresNode node : nodes) {
            writers.add(new Writer(node, pauseMillis));
        }
    }

    void start() {
        writers.forEach(w -> w.thread.start());
    }

    /** Transactions committed on {@code node} so far. */
    int committed(String node) {
        return writers.stream().filter(w -> w.node.name().equals(node)).mapToInt(w -> w.committed.get()).sum();
    }

    /** Stops every writer; fails with the first writer's error, if any. */
    void stop() {
        for (Writer w : writers) {
            w.stopped = true;
        }
        for (Writer w : writers) {
            try {
                w.thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (w.failure.get() != null) {
                throw new IllegalStateException("the demo writer on " + w.node.name() + " failed: "
                        + w.failure.get().getMessage(), w.failure.get());
            }
        }
    }

    @Override
    public void close() {
        writers.forEach(w -> w.stopped = true);
    }

    private static final class Writer {
        private final PostgresNode node;
        private final long pauseMillis;
        private final Thread thread;
        private final AtomicInteger committed = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile boolean stopped;

        Writer(PostgresNode node, long pauseMillis) {
            this.node = node;
            this.pauseMillis = pauseMillis;
            this.thread = new Thread(this::run, "demo-writer-" + node.name());
            this.thread.setDaemon(true);
        }

        private void run() {
            List<Long> opened = new ArrayList<>();
            try (Connection c = node.connect(LocalMesh.DATABASE)) {
                c.setAutoCommit(false);
                try (PreparedStatement move = c.prepareStatement("UPDATE accounts SET balance = balance + ?,"
                        + " updated_on = ?, updated_at = now() WHERE id = ?");
                     PreparedStatement open = c.prepareStatement("INSERT INTO accounts (id, owner, updated_on)"
                             + " VALUES (pgmesh.snowflake_id(), ?, ?) RETURNING id");
                     PreparedStatement close = c.prepareStatement("DELETE FROM accounts WHERE id = ?")) {
                    while (!stopped) {
                        ThreadLocalRandom random = ThreadLocalRandom.current();
                        move.setLong(1, random.nextInt(-100, 101));
                        move.setString(2, node.name());
                        move.setLong(3, 1 + random.nextInt(SHARED));
                        move.executeUpdate();
                        open.setString(1, node.name() + " customer");
                        open.setString(2, node.name());
                        try (ResultSet rs = open.executeQuery()) {
                            rs.next();
                            opened.add(rs.getLong(1));
                        }
                        if (opened.size() > 10 && random.nextInt(5) == 0) {
                            close.setLong(1, opened.remove(random.nextInt(opened.size())));
                            close.executeUpdate();
                        }
                        c.commit();
                        committed.incrementAndGet();
                        Thread.sleep(pauseMillis);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (SQLException | RuntimeException e) {
                failure.set(e);
            }
        }
    }
}
