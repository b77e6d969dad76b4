package io.pgmesh.source.stream;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.sql.ConnectSqlErrors;
import io.pgmesh.common.sql.SqlStateClassifier;
import io.pgmesh.source.capture.ChangeEvent;
import io.pgmesh.source.capture.StreamPosition;
import io.pgmesh.source.config.PgmeshSourceConfig;
import io.pgmesh.common.retry.RetryBudget;
import io.pgmesh.common.sql.PostgresConnector;
import io.pgmesh.source.database.CommittedVisibility;
import io.pgmesh.source.database.ReplicationSetup;
import io.pgmesh.source.database.ServerPreflight;
import io.pgmesh.source.database.SourceConnections;
import io.pgmesh.source.database.StreamedSets;
import io.pgmesh.source.capture.ChangeAssembler;
import io.pgmesh.source.snapshot.SnapshotProgress;
import io.pgmesh.source.snapshot.Snapshotter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams one node's changes on a thread of its own into a bounded queue that {@code poll()}
 * drains. The thread owns the replication connection (pgjdbc's stream is not thread-safe): it
 * also confirms positions on the slot when asked and writes heartbeats. Retriable failures
 * reconnect with backoff, resuming after the last change queued; anything else, or a spent retry
 * budget, fails the session and the next {@code poll()} throws it.
 */
public final class CaptureSession implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CaptureSession.class);
    /**
     * How long {@link #close()} waits for the thread, before and after aborting its connection:
     * together well inside Connect's task.shutdown.graceful.timeout.ms (5 s by default).
     */
    private static final Duration CLOSE_WAIT = Duration.ofMillis(1500);

    private final PgmeshSourceConfig config;
    private final PostgresConnector connector;
    private final Optional<StreamPosition> committed;
    private final BlockingQueue<ChangeEvent> queue;
    private final AtomicReference<ConnectException> failure = new AtomicReference<>();
    private final AtomicReference<Lsn> confirmRequested = new AtomicReference<>(Lsn.INVALID);
    private final RetryBudget retries;
    private final Thread thread;
    private volatile boolean closed;
    private volatile StreamPosition lastQueued;
    /** Where the next stream starts when past the slot's confirmed position: after the last change of replication sets. */
    private Lsn restartAt = Lsn.INVALID;
    private volatile Connection replication;
    /** Whether the tables must be copied into the topic before streaming (until a snapshot completed). */
    private boolean snapshotPending;
    private final SnapshotProgress snapshotProgress;
    private final AtomicLong slotLagBytes;

    private CaptureSession(PgmeshSourceConfig config, Optional<StreamPosition> committed, boolean snapshot,
                           SnapshotProgress snapshotProgress, AtomicLong slotLagBytes) {
        this.config = config;
        this.connector = new PostgresConnector(config.database());
        this.committed = committed;
        this.lastQueued = committed.orElse(StreamPosition.START);
        this.snapshotPending = snapshot;
        this.snapshotProgress = snapshotProgress;
        this.slotLagBytes = slotLagBytes;
        this.queue = new ArrayBlockingQueue<>(config.maxQueueSize());
        this.retries = config.retry().budget();
        this.thread = new Thread(this::run, "pgmesh-capture-" + config.nodeName());
        this.thread.setDaemon(true);
    }

    /**
     * Starts streaming, resuming after {@code committed} (the position Connect last committed), if
     * any; with {@code snapshot}, copies the published tables into the topic first, reporting how
     * far it got in {@code snapshotProgress}; keeps {@code slotLagBytes} at the WAL written past
     * the slot's confirmed position.
     */
    public static CaptureSession start(PgmeshSourceConfig config, Optional<StreamPosition> committed,
                                       boolean snapshot, SnapshotProgress snapshotProgress, AtomicLong slotLagBytes) {
        CaptureSession session = new CaptureSession(config, committed, snapshot, snapshotProgress, slotLagBytes);
        session.thread.start();
        return session;
    }

    /** Up to {@code max.batch.size} events, waiting up to {@code poll.timeout.ms} for the first. */
    public List<ChangeEvent> poll() throws InterruptedException {
        throwIfFailed();
        List<ChangeEvent> batch = new ArrayList<>();
        ChangeEvent first = queue.poll(config.pollTimeout().toMillis(), TimeUnit.MILLISECONDS);
        if (first == null) {
            throwIfFailed();
            return batch;
        }
        batch.add(first);
        queue.drainTo(batch, config.maxBatchSize() - 1);
        return batch;
    }

    /** Asks the stream thread to confirm the slot up to {@code lsn}; never moves backwards. */
    public void confirm(Lsn lsn) {
        confirmRequested.accumulateAndGet(lsn, Lsn::max);
    }

    /**
     * Stops streaming within about three seconds: the thread notices the flag between messages; a
     * thread stuck in I/O has its replication connection aborted under it. A thread still busy
     * after that (opening a connection to a server that does not answer, say) is a daemon left to
     * end by itself: it streams nothing more, as the flag is set.
     */
    @Override
    public void close() {
        closed = true;
        try {
            thread.join(CLOSE_WAIT.toMillis());
            if (thread.isAlive()) {
                LOG.warn("Capture thread of node {} did not stop within {}; aborting its connection",
                        config.nodeName(), CLOSE_WAIT);
                abort(replication);
                thread.join(CLOSE_WAIT.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Drops a connection at once, without the orderly end of a COPY that drains the stream first. */
    private static void abort(Connection connection) {
        if (connection == null) {
            return;
        }
        try {
            connection.abort(Runnable::run);
        } catch (SQLException | RuntimeException e) {
            LOG.debug("Aborting the replication connection: {}", e.getMessage());
        }
    }

    private void throwIfFailed() {
        ConnectException e = failure.get();
        if (e != null) {
            throw e;
        }
    }

    private void run() {
        while (!closed) {
            try {
                if (!streamUntilSetsChange()) {
                    return;
                }
            } catch (SQLException e) {
                if (closed || !retryAfter(e)) {
                    return;
                }
            } catch (ConnectException e) {
                fail(e);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                fail(new ConnectException("Unexpected failure capturing node " + config.nodeName() + ": " + e, e));
                return;
            }
        }
    }

    /** Waits before the next attempt; false when the failure is permanent or the budget is spent. */
    private boolean retryAfter(SQLException e) {
        String doing = "streaming node " + config.nodeName() + " from slot " + config.slotName() + " on "
                + config.database().describe();
        if (!SqlStateClassifier.classify(e).retriable()) {
            fail(ConnectSqlErrors.toConnectException(doing, e));
            return false;
        }
        Duration delay = retries.failed(System.nanoTime());
        if (delay == null) {
            fail(new ConnectException("Gave up after retrying for " + retries.timeout() + ": "
                    + ConnectSqlErrors.toConnectException(doing, e).getMessage(), e));
            return false;
        }
        LOG.warn("Lost the stream of node {} ({}); reconnecting in {} ms", config.nodeName(), e.getMessage(),
                delay.toMillis());
        return sleepUnlessClosed(delay);
    }

    /**
     * Streams until closed (false) or until the replication sets to stream change (true): the
     * stream then starts again with the new publications, after the last change queued.
     */
    private boolean streamUntilSetsChange() throws SQLException, InterruptedException {
        ServerPreflight preflight = new ServerPreflight(config);
        try (Connection control = SourceConnections.control(connector, config);
             Connection stream = SourceConnections.replication(connector, config)) {
            replication = stream;
            ReplicationSetup.Prepared prepared = new ReplicationSetup(config, preflight)
                    .prepare(control, stream, committed, restartAt, snapshotPending);
            if (snapshotPending) {
                try (Connection snapshot = SourceConnections.control(connector, config)) {
                    new Snapshotter(config.nodeName(), config.snapshotTransactionRows(), snapshotProgress).run(snapshot,
                            prepared.exportedSnapshot(), prepared.start(), prepared.setByPublication(),
                            event -> enqueue(event, null));
                }
                snapshotPending = false;
            }
            ReplicationStreamReader reader = ReplicationStreamReader.open(config, control, stream,
                    prepared.setByPublication(), lastQueued, prepared.start());
            LOG.info("Streaming node {} from slot {} at {}, resuming after {}", config.nodeName(),
                    config.slotName(), prepared.start(), lastQueued);
            retries.succeeded();
            try {
                return pump(reader, control, new HeartbeatWriter(control, config.heartbeatInterval(), System.nanoTime()),
                        new SlotLagProbe(control, config.slotName(), slotLagBytes, System.nanoTime()));
            } finally {
                abort(stream);
            }
        } finally {
            replication = null;
        }
    }

    /** @return true when the replication sets changed and the stream must start again */
    private boolean pump(ReplicationStreamReader reader, Connection control, HeartbeatWriter heartbeat,
                         SlotLagProbe slotLag) throws SQLException, InterruptedException {
        IdleWait idle = new IdleWait();
        while (!closed) {
            reader.confirm(confirmRequested.get());
            heartbeat.maybeWrite(System.nanoTime());
            slotLag.maybeRead(System.nanoTime());
            List<ChangeEvent> events = reader.next();
            if (events == null) {
                idle.pause();
                continue;
            }
            idle.reset();
            for (ChangeEvent event : events) {
                enqueue(event, reader);
            }
            Optional<ChangeAssembler.SetsChange> setsChange = reader.takeSetsChange();
            if (setsChange.isPresent()) {
                return restartAfter(setsChange.get(), reader, control);
            }
        }
        return false;
    }

    /**
     * A transaction created or dropped replication sets. The stream stops reading there, records
     * from where the created sets may be streamed, and waits until Kafka acknowledged everything up
     * to the end of that transaction; the next stream, naming the new sets, then starts right after
     * it, so the server never decodes a change under a publication list that does not match it. A
     * stream that starts over from the slot instead (task restarted meanwhile) is safe as well: it
     * names only sets that existed at its start and were not dropped.
     *
     * <p>The walsender may fail meanwhile, once it decodes a change made after a listed set was
     * dropped ("publication ... does not exist"): that is expected and harmless here, since
     * nothing past the transaction is read from this stream.
     *
     * @return true to start the stream again; false when the session was closed meanwhile
     */
    private boolean restartAfter(ChangeAssembler.SetsChange change, ReplicationStreamReader reader, Connection control)
            throws SQLException, InterruptedException {
        if (!change.created().isEmpty()) {
            // the sets' rows of pgmesh.set_streamable are the transaction's own: visible a moment after it streamed
            CommittedVisibility.await(control, change.xid(), "creation of replication sets " + change.created());
            StreamedSets.markStreamable(control, change.created(), change.commitEnd());
        }
        LOG.info("Replication sets of node {} changed at {} (created: {}); starting the stream again from there once"
                + " Kafka has acknowledged everything before", config.nodeName(), change.commitEnd(), change.created());
        boolean streamAlive = true;
        while (!closed) {
            if (!confirmRequested.get().isBefore(change.commitEnd())) {
                restartAt = Lsn.max(restartAt, change.commitEnd());
                return true;
            }
            if (streamAlive) {
                try {
                    reader.confirm(confirmRequested.get());
                    reader.keepAlive();
                } catch (SQLException e) {
                    LOG.debug("The old stream of node {} ended while waiting to restart: {}", config.nodeName(),
                            e.getMessage());
                    streamAlive = false;
                }
            }
            Thread.sleep(100);
        }
        return false;
    }

    /** Queues an event, keeping the stream (if any yet) alive while the queue is full. */
    private void enqueue(ChangeEvent event, ReplicationStreamReader reader) throws SQLException, InterruptedException {
        while (!queue.offer(event, 1, TimeUnit.SECONDS)) {
            if (closed) {
                throw new InterruptedException("capture of node " + config.nodeName() + " closed");
            }
            if (reader != null) {
                reader.confirm(confirmRequested.get());
                reader.keepAlive();
            }
        }
        lastQueued = event.position();
    }

    private void fail(ConnectException e) {
        LOG.error("Capture of node {} failed: {}", config.nodeName(), e.getMessage());
        failure.compareAndSet(null, e);
    }

    private boolean sleepUnlessClosed(Duration delay) {
        long deadline = System.nanoTime() + delay.toNanos();
        try {
            while (!closed && System.nanoTime() < deadline) {
                Thread.sleep(Math.min(100, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return !closed;
    }

    /** Sleeps a little longer each time the stream has nothing, up to a few milliseconds. */
    private static final class IdleWait {
        private static final long MAX_MILLIS = 10;
        private long millis;

        void pause() throws InterruptedException {
            millis = Math.min(MAX_MILLIS, millis + 1);
            Thread.sleep(millis);
        }

        void reset() {
            millis = 0;
        }
    }
}
