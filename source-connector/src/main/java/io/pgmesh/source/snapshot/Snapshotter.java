package io.pgmesh.source.snapshot;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.sql.SqlIdentifiers;
import io.pgmesh.source.capture.ChangeEvent;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the published tables into the topic in one REPEATABLE READ, read-only transaction: in the
 * snapshot the slot exported when it was created (nothing missing, nothing twice), or, when the
 * slot already existed, in a new snapshot taken after the slot's position (the stream then sends
 * again what changed in between, which last-update-wins makes harmless, and every delete).
 * Tables are locked in ACCESS SHARE mode so that no DDL changes them under the copy. Rows are read
 * with COPY, one at a time, and handed on as they come: memory stays bounded by the queue.
 */
public final class Snapshotter {

    /** Where the records go; blocks while the queue is full. */
    @FunctionalInterface
    public interface EventSink {
        void accept(ChangeEvent event) throws SQLException, InterruptedException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(Snapshotter.class);
    private static final long LOG_EVERY_ROWS = 100_000;

    private final NodeName node;
    private final int rowsPerTransaction;
    private final SnapshotProgress progress;

    public Snapshotter(NodeName node, int rowsPerTransaction, SnapshotProgress progress) {
        this.node = node;
        this.rowsPerTransaction = rowsPerTransaction;
        this.progress = progress;
    }

    /**
     * @param exportedSnapshot the snapshot the slot exported, or null to take a new one
     * @param position         the slot's consistent point, or the position streaming starts from
     * @return how many rows were copied
     */
    public long run(Connection c, String exportedSnapshot, Lsn position, Map<String, String> setByPublication,
                    EventSink sink) throws SQLException, InterruptedException {
        long started = System.nanoTime();
        c.setAutoCommit(false);
        try {
            try (Statement s = c.createStatement()) {
                s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                if (exportedSnapshot != null) {
                    s.execute("SET TRANSACTION SNAPSHOT '" + exportedSnapshot.replace("'", "''") + "'");
                }
            }
            List<SnapshotTable> tables = SnapshotCatalog.tables(c, setByPublication);
            if (exportedSnapshot == null) {
                List<SnapshotTable> keyless = tables.stream().filter(t -> !t.hasKey()).toList();
                if (!keyless.isEmpty()) {
                    LOG.warn("Snapshot of node {}: not copying {}: they have no primary key or replica identity, so"
                            + " their rows cannot be told apart from the copies peers already hold, and copying them"
                            + " again would duplicate them. Only the snapshot a new slot exports copies such tables.",
                            node, keyless.stream().map(t -> t.table().toString()).toList());
                    tables = tables.stream().filter(SnapshotTable::hasKey).toList();
                }
            }
            if (!tables.isEmpty()) {
                try (Statement s = c.createStatement()) {
                    s.execute("LOCK TABLE " + tables.stream().map(t -> SqlIdentifiers.quote(t.table().schema()) + "."
                            + SqlIdentifiers.quote(t.table().table())).collect(Collectors.joining(", "))
                            + " IN ACCESS SHARE MODE");
                }
            }
            SnapshotEvents events = new SnapshotEvents(node, position, rowsPerTransaction, SnapshotCatalog.origins(c),
                    () -> TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()));
            progress.started(tables.size());
            LOG.info("Snapshot of node {} at {} ({}): copying {} tables of replication sets {}", node, position,
                    exportedSnapshot == null ? "new snapshot, slot existed" : "snapshot exported by the new slot",
                    tables.size(), setByPublication.values());
            for (SnapshotTable table : tables) {
                long before = events.rows();
                copy(c, table, events, sink, started);
                events.tableDone();
                progress.tableCopied();
                LOG.info("Snapshot of node {}: table {} done, {} rows ({} of {} tables, {} rows in all)", node,
                        table.table(), events.rows() - before, events.tables(), tables.size(), events.rows());
            }
            sink.accept(events.done());
            c.commit();
            progress.finished();
            LOG.info("Snapshot of node {} complete: {} tables, {} rows in {} ms", node, events.tables(), events.rows(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            return events.rows();
        } finally {
            progress.stopped();
            if (!c.isClosed()) {
                try {
                    c.rollback();
                } catch (SQLException e) {
                    LOG.debug("Ending the snapshot transaction: {}", e.getMessage());
                }
            }
        }
    }

    private void copy(Connection c, SnapshotTable table, SnapshotEvents events, EventSink sink, long started)
            throws SQLException, InterruptedException {
        CopyOut out = c.unwrap(PGConnection.class).getCopyAPI().copyOut(table.copyQuery());
        try {
            byte[] row;
            while ((row = out.readFromCopy()) != null) {
                sink.accept(events.row(table, CopyText.fields(row)));
                progress.rowCopied();
                if (events.rows() % LOG_EVERY_ROWS == 0) {
                    LOG.info("Snapshot of node {}: {} rows copied in {} s (table {})", node, events.rows(),
                            TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), table.table());
                }
            }
        } finally {
            if (out.isActive()) {
                out.cancelCopy();
            }
        }
    }
}
