package io.pgmesh.testkit.workload;

import io.pgmesh.testkit.postgres.PostgresNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Keeps committing small transactions of inserts into {@code table (id bigint PRIMARY KEY, payload
 * text)} on a thread of its own, and remembers exactly which ids committed.
 */
public final class InsertWriter implements AutoCloseable {

    /** Pause between transactions: a steady few hundred rows a second, not a flood. */
    private static final long PAUSE_MILLIS = 5;

    private final PostgresNode server;
    private final String database;
    private final String table;
    private final long firstId;
    private final Set<Long> committed = new ConcurrentSkipListSet<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;
    private volatile boolean stopped;

    private InsertWriter(PostgresNode server, String database, String table, long firstId) {
        this.server = server;
        this.database = database;
        this.table = table;
        this.firstId = firstId;
        this.thread = new Thread(this::run, "insert-writer-" + table);
        this.thread.setDaemon(true);
    }

    /** Starts writing ids from {@code firstId} upwards, 1 to 3 rows per transaction. */
    public static InsertWriter start(PostgresNode server, String database, String table, long firstId) {
        InsertWriter writer = new InsertWriter(server, database, table, firstId);
        writer.thread.start();
        return writer;
    }

    public Set<Long> committedIds() {
        return Set.copyOf(committed);
    }

    public int committedCount() {
        return committed.size();
    }

    /** Stops writing and returns every id that committed. */
    public Set<Long> stop() {
        stopped = true;
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure.get() != null) {
            throw new AssertionError("the writer failed", failure.get());
        }
        return committedIds();
    }

    @Override
    public void close() {
        stopped = true;
    }

    private void run() {
        long next = firstId;
        try (Connection c = server.connect(database);
             PreparedStatement insert = c.prepareStatement("INSERT INTO " + table + " (id, payload) VALUES (?, ?)")) {
            c.setAutoCommit(false);
            while (!stopped) {
                int rows = 1 + (int) (next % 3);
                for (int i = 0; i < rows; i++) {
                    insert.setLong(1, next + i);
                    insert.setString(2, "row " + (next + i));
                    insert.executeUpdate();
                }
                c.commit();
                for (int i = 0; i < rows; i++) {
                    committed.add(next + i);
                }
                next += rows;
                Thread.sleep(PAUSE_MILLIS);
            }
        } catch (SQLException | RuntimeException e) {
            failure.set(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
