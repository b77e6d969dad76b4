package io.pgmesh.sink.apply;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.TableId;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.DdlCommand;
import io.pgmesh.common.envelope.LogicalMessage;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.common.envelope.RowImage;
import io.pgmesh.common.envelope.Truncation;
import io.pgmesh.sink.apply.TransactionFraming.Written;
import io.pgmesh.sink.config.PgmeshSinkConfig;
import io.pgmesh.sink.config.PgmeshSinkConfig.OriginFilter;
import io.pgmesh.sink.conflict.Conflict;
import io.pgmesh.sink.conflict.ConflictJudge;
import io.pgmesh.sink.conflict.ConflictLog;
import io.pgmesh.sink.conflict.SeenVector;
import io.pgmesh.sink.ddl.DdlApplier;
import io.pgmesh.sink.failure.FailedPartition;
import io.pgmesh.sink.metrics.SinkMetrics;
import io.pgmesh.sink.pipeline.StatementPipeline;
import io.pgmesh.sink.progress.FlushedOffset;
import io.pgmesh.sink.progress.PartitionPosition;
import io.pgmesh.sink.progress.SinkProgress;
import io.pgmesh.sink.record.ChangeRecord;
import io.pgmesh.sink.record.RecordFilter;
import io.pgmesh.sink.record.RecordFilter.Verdict;
import io.pgmesh.sink.schema.TargetTable;
import io.pgmesh.sink.schema.TargetTables;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one peer topic partition to this node, in topic order: each source transaction becomes
 * one local transaction in the replication-origin session of its origin, committed together with
 * the origin's progress and this partition's position; many of them go to the node in one
 * exchange. Records it must not apply are passed over. It drives the parts, each of one idea:
 * where the partition stands and where to resume ({@link PartitionPosition}), which record begins
 * a transaction ({@link SourceTransaction}), the frame of the transactions queued for the next
 * exchange ({@link TransactionFraming}), what the apply-error policy leaves out ({@link Discards}),
 * and the connection ({@link PartitionConnection}). Not thread-safe: the sink task drives it.
 */
public final class PartitionApplier implements FailedPartition, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PartitionApplier.class);

    /** Statements a frame holds at most before they are sent, even within one transaction. */
    private static final int MAX_PIPELINED = 200;

    private final String topic;
    private final int partition;
    private final NodeName owner;
    private final PgmeshSinkConfig config;
    private final RecordFilter filter;
    private final SinkProgress progress;
    private final ConflictLog conflicts;
    private final TargetTables tables;
    private final ChangeApplier applier;
    private final SinkMetrics metrics;
    private final PartitionConnection link;
    private final PartitionPosition position;
    private final TransactionFraming frame = new TransactionFraming();
    private final StatementPipeline pipeline = frame.pipeline();
    private final Discards discards;
    /** With synchronous commit off: how far the applied offsets are flushed to disk, for Kafka's offset. */
    private final FlushedOffset flushed = new FlushedOffset();
    /** The source transaction being applied, or null. */
    private SourceTransaction tx;
    private final List<ChangeRecord> pendingTruncates = new ArrayList<>();
    /** Snapshot rows waiting to be inserted together, ahead of the frame's statements. */
    private final SnapshotBatch batch = new SnapshotBatch();
    /** After a failure, the next transaction is applied one statement at a time, so an error names its change. */
    private boolean oneByOne;
    /** Whether the last failure came from statements of several changes sent together (which one failed is unknown). */
    private boolean failedAmongOthers;
    private boolean flushLookFailed;
    private String currentStatement;
    /** The record whose own statement failed (one change at a time), or -1; and the transaction a failure struck. */
    private long failedRowOffset = -1;
    private SourceTransaction.Id failedTx;
    /** The last record processed: what a failure of an exchange of several transactions is reported against. */
    private ChangeRecord lastRecord;

    /** @param tables the node's tables, shared by the task's appliers so that DDL any of them applies is seen by all */
    public PartitionApplier(String topic, int partition, NodeName owner, PgmeshSinkConfig config, TargetTables tables,
                            SinkMetrics metrics) {
        this.metrics = metrics;
        this.tables = tables;
        this.topic = topic;
        this.partition = partition;
        this.owner = owner;
        this.config = config;
        this.filter = new RecordFilter(config.nodeName(), config.originFilter(), config.replicationSets());
        this.progress = new SinkProgress(config.connectorName());
        this.conflicts = new ConflictLog(config.logConflictRows());
        this.applier = new ChangeApplier(config.logConflictRows());
        this.discards = new Discards(config.applyErrorPolicy());
        this.position = new PartitionPosition(TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()),
                System.nanoTime());
        // statements prepared on a connection die with it; where the partition stands is read again
        this.link = new PartitionConnection(config, () -> {
            applier.closeStatements();
            position.connectionLost();
        });
    }

    /** The stored position to resume at, if this sink applied from this partition before. */
    public Optional<Long> storedPosition() throws SQLException {
        Connection c = link.get();
        Optional<SinkProgress.Position> stored = progress.read(c, topic, partition);
        c.commit();
        position.loaded(stored);
        flushed.reset(position.durable());
        return stored.map(SinkProgress.Position::nextOffset);
    }

    /**
     * Processes the next record of the partition.
     *
     * @return empty, or the offset Connect must rewind the partition to (the first call after a
     *         (re)assignment may find the database is elsewhere than the consumer)
     */
    public Optional<Long> process(ChangeRecord r) throws SQLException {
        failedRowOffset = -1;
        failedTx = null;
        lastRecord = r;
        try {
            return processRecord(r);
        } catch (SQLException | RuntimeException e) {
            failedTx = tx == null ? null : tx.id();
            throw e;
        }
    }

    /**
     * Sends what the frame holds of the transactions that ended, so that they commit now (the
     * task calls it after each delivery from Kafka: nothing waits for more records).
     */
    public void flush() throws SQLException {
        failedRowOffset = -1;
        failedTx = null;
        if (!frame.holdsEnded()) {
            return;
        }
        if (tx == null || !tx.writing) {
            flushBatch();
            return;
        }
        // the open transaction's first statements follow the ended ones, none of it sent yet (a
        // send commits those). Only the ended ones go now: sent, the open one would hold its locks
        // on the server until the next delivery, and another partition of this task applying on
        // its own connection could wait for them for ever; committed, it would be cut in two.
        TransactionFraming.OpenPart open = frame.takeOpen(tx);
        flushBatch();
        frame.putBack(tx, open);
    }

    /** The record a failure of {@link #flush()} (or of the last {@link #process}) is reported against. */
    public ChangeRecord lastRecord() {
        return lastRecord;
    }

    /**
     * After a failure and {@link #rollback()}: whether the apply-error policy leaves out what
     * failed, recording it in pgmesh.exceptions when its transaction is read again. Only errors of
     * the data qualify, never a failed DDL statement, and never the same change twice (recording
     * it failed too).
     *
     * @param failed the record being processed when {@code e} struck
     */
    @Override
    public boolean discardAfterFailure(ChangeRecord failed, SQLException e) {
        Optional<Discards.Discard> d = discards.offer(failedTx, failedRowOffset, failed, e);
        d.ifPresent(discard -> LOG.warn("apply.error.policy={}: leaving out {} of transaction {} of {} ({}-{} offset"
                        + " {}: SQLSTATE {}: {}); recorded in pgmesh.exceptions on node {}",
                config.applyErrorPolicy().configValue(), discard.wholeTransaction() ? "every change" : "the change",
                failed.headers().originLsn(), discard.tx().origin(), topic, partition, failed.offset(),
                e.getSQLState(), e.getMessage(), config.nodeName()));
        return d.isPresent();
    }

    private Optional<Long> processRecord(ChangeRecord r) throws SQLException {
        if (position.checked() && link.lost()) {
            LOG.warn("The connection to node {} applying {}-{} was lost; reading where the partition stands in the"
                    + " database again", config.nodeName(), topic, partition);
            rollbackQuietly();
            link.drop();
        }
        position.delivered(r.offset());
        if (!position.checked()) {
            boolean reconnected = position.resumedBefore();
            Optional<Long> stored = storedPosition();
            Optional<Long> resumeAt = position.resumeAfterLoad(stored, r.offset());
            if (resumeAt.isPresent()) {
                if (reconnected) {
                    LOG.warn("Resuming {}-{} at offset {}, not at offset {}: node {} {} (with synchronous commit off, a"
                            + " crash forgets the last transactions committed; they are applied again now)", topic,
                            partition, resumeAt.get(), r.offset(), config.nodeName(), stored.isPresent()
                                    ? "kept the transactions committed up to there"
                                    : "kept no position for the partition, so from the first offset of this session");
                } else {
                    LOG.info("Resuming {}-{} at offset {} stored in the database (Kafka delivered {})", topic,
                            partition, resumeAt.get(), r.offset());
                }
                rollbackQuietly();
                return resumeAt;
            }
        }
        if (position.passedOver(r.offset())) {
            return Optional.empty();
        }
        ChangeHeaders h = r.headers();
        if (tx != null) {
            switch (tx.boundaryAt(h, r.version())) {
                case CONTINUES -> {
                }
                case SNAPSHOT_RUN_ENDS -> finish(r.offset() - 1);
                case REPEATED -> abandon("the topic holds it again from an earlier record (the source was restarted"
                        + " within it); it is applied from that copy");
                case CUT_SHORT -> {
                    // a compacted topic drops a record whose key a later record writes again: the rest of
                    // this transaction is superseded further on, so what it still has is applied as is
                    LOG.debug("Transaction {} of {} in {}-{} ends without its last records (compacted away, the later"
                            + " changes of their rows follow); applying the {} it has", tx.originLsn, tx.origin, topic,
                            partition, tx.writing ? "records" : "none of the records");
                    finish(r.offset() - 1);
                }
            }
        }
        if (tx == null) {
            tx = new SourceTransaction(h, r.version());
        }
        tx.lastSeq = h.txSeq();
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}-{} offset {}: {} of {} at {} seq {} last {} (durable {})", topic, partition, r.offset(),
                    h.op().wireName(), h.originNode(), h.originLsn(), h.txSeq(), h.txLast(), position.durable());
        }
        boolean ownSkipped = h.originNode().equals(config.nodeName()) && config.originFilter() == OriginFilter.TOPIC_OWNER;
        RecordFilter.Message message = r.isDdl() ? RecordFilter.Message.DDL
                : r.isSyncEvent() ? RecordFilter.Message.SYNC_EVENT : RecordFilter.Message.OTHER;
        Verdict verdict = filter.verdict(h, message, owner, ownSkipped || h.snapshot()
                ? Lsn.INVALID : link.session().progress(h.originNode()));
        metrics.reached(owner, h);
        if (verdict != Verdict.APPLY) {
            metrics.filtered(verdict);
        }
        handle(r, verdict);
        if (h.txLast()) {
            finish(r.offset());
        }
        position.processed(r.offset());
        return Optional.empty();
    }

    private void handle(ChangeRecord r, Verdict verdict) throws SQLException {
        ChangeHeaders h = r.headers();
        Discards.Discard discard = verdict == Verdict.APPLY && !r.isSyncEvent() && h.op() != Operation.HEARTBEAT
                ? discards.of(h, r.offset()) : null;
        if (discard != null) {
            beginWriting();
            ExceptionLog.queue(pipeline, r, discard.reason());
            tx.discarded++;
        } else if (verdict == Verdict.APPLY) {
            if (h.op() == Operation.TRUNCATE) {
                pendingTruncates.add(r);
            } else if (r.isDdl()) {
                flushTruncates();
                applyDdl(r);
            } else if (r.isSyncEvent()) {
                // nothing to write: committing the transaction records that the origin got this far
                beginWriting();
            } else {
                flushTruncates();
                write(r);
            }
        }
        if (h.op() != Operation.HEARTBEAT && h.op() != Operation.MESSAGE && !h.originNode().equals(owner)) {
            position.seen().saw(h.originNode().value(), h.originCommitMicros());
        }
    }

    private void applyDdl(ChangeRecord r) throws SQLException {
        beginWriting();
        sendWrites();
        DdlCommand ddl = DdlCommand.parse(((LogicalMessage) r.value()).content());
        currentStatement = "DDL \"" + ddl.sql() + "\" (as role " + ddl.role() + ", search_path " + ddl.searchPath() + ")";
        DdlApplier.apply(link.current(), ddl);
        DdlApplier.forward(link.current(), ((LogicalMessage) r.value()).content());
        tables.forgetAll();
        applier.closeStatements();
        LOG.info("Applied DDL of {} at {} on node {}: {}", tx.origin, tx.originLsn, config.nodeName(), ddl.sql());
        currentStatement = null;
    }

    private void write(ChangeRecord r) throws SQLException {
        beginWriting();
        tx.rows++;
        RowImage image = r.value() instanceof RowImage i ? i : null;
        TargetTable table = table(image != null ? image.table() : r.key().table());
        if (image != null && !hasEveryColumn(table, image)) {
            tables.forget(table.id());
            table = table(table.id());
        }
        RowChange change = RowChanges.of(r, table);
        if (tx.snapshot && !oneByOne && change.change() == ConflictJudge.Change.INSERT) {
            List<TargetTable.Column> columns = ChangeApplier.columnsOf(table, change.image());
            if (SnapshotBatch.fits(table, change, columns)) {
                if (batch.differsFrom(table, columns)) {
                    sendWrites();
                }
                batch.add(r, table, change, columns);
                if (batch.isFull()) {
                    sendWrites();
                }
                return;
            }
        }
        queueRow(r, table, change);
        if (oneByOne) {
            try {
                sendWrites();
            } catch (SQLException e) {
                failedRowOffset = r.offset();
                throw e;
            }
        } else if (pipeline.size() >= MAX_PIPELINED) {
            sendWrites();
        }
    }

    private void queueRow(ChangeRecord r, TargetTable table, RowChange change) throws SQLException {
        if (change.movesKey() && !change.unchangedToast().isEmpty()) {
            // the key move reads the old row's unchanged values first, running what is queued
            sendWrites();
        }
        String description = change.change().name() + " on " + table.id() + " key " + change.key();
        currentStatement = description;
        frame.wrote(new Written(tx, r, table, change, applier.queue(pipeline, link.current(), table, change,
                r.version()), description));
        currentStatement = null;
    }

    /**
     * Inserts the waiting snapshot rows (after the statements queued before them, the origin setup
     * first), and queues the rows it could not insert for the row-by-row statement.
     */
    private void insertBatch() throws SQLException {
        executePipeline();
        currentStatement = batch.describe() + " (after a failure the sink applies the transaction again one change"
                + " at a time, and then names the change that fails)";
        List<SnapshotBatch.Row> left;
        try {
            left = batch.insert(link.current(), applier::prepare);
        } catch (SQLException | RuntimeException e) {
            failedAmongOthers = true;
            throw e;
        }
        currentStatement = null;
        for (SnapshotBatch.Row row : left) {
            queueRow(row.record(), row.table(), row.change());
        }
    }

    /**
     * Sends the queued statements of the transaction, then judges each write's result and logs its
     * conflicts (in the same transaction).
     */
    private void sendWrites() throws SQLException {
        if (!batch.isEmpty()) {
            insertBatch();
        }
        executePipeline();
    }

    private void executePipeline() throws SQLException {
        if (pipeline.isEmpty()) {
            return;
        }
        List<Written> written = frame.written();
        List<SourceTransaction> ended = frame.ended();
        currentStatement = !ended.isEmpty()
                ? ended.size() + " transactions sent together, from " + ended.get(0).originLsn + " of "
                        + ended.get(0).origin + " (after a failure the sink applies the failing transaction again on"
                        + " its own, one change at a time, and then names the change that fails)"
                : written.size() == 1 ? written.get(0).description()
                : written.isEmpty() ? "the transaction's bookkeeping"
                : written.size() + " row changes sent together, from " + written.get(0).description() + " to "
                        + written.get(written.size() - 1).description() + " (after a failure the sink applies the"
                        + " transaction again one change at a time, and then names the change that fails)";
        try {
            applier.execute(pipeline, link.current());
        } catch (SQLException | RuntimeException e) {
            // the transactions before the failing one committed: rollback() reads how far
            failedAmongOthers = written.size() > 1 || !ended.isEmpty();
            throw e;
        }
        currentStatement = null;
        if (tx != null && tx.writing) {
            tx.sent = true;
        }
        for (Written w : written) {
            judge(w);
        }
        for (SourceTransaction done : ended) {
            advance(done);
        }
        frame.ran();
    }

    /**
     * Sends the frame, at the end of a transaction, and commits what is left open (the conflicts
     * of the batch's last transactions are logged after it ran).
     */
    private void flushBatch() throws SQLException {
        if (frame.endsWithCommit()) {
            // the partition's position is stored once per exchange, by its last transaction
            SourceTransaction last = frame.ended().get(frame.ended().size() - 1);
            frame.beforeFinalCommit(p -> progress.queueWrite(p, topic, partition, last.nextOffset, last.seenAtEnd));
            last.positionStored = true;
        }
        sendWrites();
        link.current().commit();
    }

    private void judge(Written w) throws SQLException {
        ChangeRecord r = w.record();
        SeenVector known = w.tx().seenAtEnd != null ? w.tx().seenAtEnd : position.seen();
        for (ChangeApplier.Part part : w.applied().parts()) {
            ConflictJudge.Outcome outcome = part.result().outcome(link.origins());
            Optional<Conflict> conflict = ConflictJudge.judge(part.change(), r.version(), outcome, known);
            if (conflict.isPresent()) {
                w.tx().conflicts.add(conflict.get().type());
                Map<String, String> remoteRow = null;
                if (w.change().image() != null) {
                    remoteRow = new LinkedHashMap<>();
                    for (var c : w.change().image().values()) {
                        remoteRow.put(c.name(), c.value());
                    }
                }
                conflicts.log(link.current(), new ConflictLog.Entry(conflict.get(), w.table().id(), part.key(),
                        r.version(), r.headers().originLsn(), part.result().localImage(), remoteRow));
            }
        }
    }

    /** Whether {@code table} as cached has every column of {@code image} (else DDL may have added one since). */
    private static boolean hasEveryColumn(TargetTable table, RowImage image) {
        for (var c : image.columns()) {
            if (table.column(c.name()).isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private void flushTruncates() throws SQLException {
        if (pendingTruncates.isEmpty()) {
            return;
        }
        beginWriting();
        sendWrites();
        List<Long> relids = new ArrayList<>();
        for (ChangeRecord r : pendingTruncates) {
            relids.add(table(((Truncation) r.value()).table()).relid());
        }
        Truncation first = (Truncation) pendingTruncates.get(0).value();
        currentStatement = "TRUNCATE of " + pendingTruncates.stream().map(r -> ((Truncation) r.value()).table().toString()).toList();
        Connection c = link.current();
        try (PreparedStatement s = c.prepareStatement("SELECT pgmesh.apply_truncate(?::oid[]::regclass[],"
                + " ?::timestamptz, ?, ?)")) {
            Array oids = c.createArrayOf("int8", relids.toArray());
            s.setArray(1, oids);
            s.setString(2, tx.version.timestamptz());
            s.setString(3, tx.version.node());
            s.setBoolean(4, first.restartIdentity());
            s.execute();
        }
        pendingTruncates.clear();
        currentStatement = null;
    }

    private TargetTable table(TableId id) throws SQLException {
        return tables.find(link.current(), id).orElseThrow(() -> new SchemaMismatchException("Table " + id
                + " does not exist on node " + config.nodeName() + ". Create it (with the same columns and primary key"
                + " as on " + tx.origin + ", or replicate the DDL that creates it); the sink retries, and nothing from"
                + " this transaction on was applied."));
    }

    /**
     * Starts the local transaction of the source transaction: after the ones queued before it,
     * unless it must go alone (a snapshot run) or the session must change origin first, which
     * sends those first.
     */
    private void beginWriting() throws SQLException {
        if (!tx.writing) {
            if (frame.holdsEnded() && (tx.snapshot || !link.session().boundTo(tx.origin))) {
                flushBatch();
            }
            frame.begin(tx);
            link.session().begin(tx.origin, tx.originLsn, tx.version.timestamptz(), pipeline);
            tx.writing = true;
        }
    }

    /** Whether the ending transaction may stay queued for the same exchange as the next ones. */
    private boolean batching() {
        return !oneByOne && config.applyBatchMaxTransactions() > 1;
    }

    private void finish(long lastOffset) throws SQLException {
        flushTruncates();
        SourceTransaction done = tx;
        done.nextOffset = lastOffset + 1;
        done.seenAtEnd = position.seen().copy();
        if (!done.writing) {
            tx = null;
            if (frame.holdsEnded()) {
                frame.passOver(done);
            } else {
                advance(done);
            }
        } else if (done.snapshot) {
            // a snapshot's LSNs are not the origin's: its progress is neither checked nor advanced
            progress.queueWrite(pipeline, topic, partition, done.nextOffset, position.seen());
            done.positionStored = true;
            sendWrites();
            link.current().commit();
            tx = null;
            advance(done);
        } else {
            if (batching() && !done.sent) {
                progress.queueApplied(pipeline, done.origin.value(), done.originLsn, done.version.timestamptz());
                frame.commit(done);
                tx = null;
                if (frame.ended().size() >= config.applyBatchMaxTransactions()
                        || pipeline.bytes() >= config.applyBatchMaxBytes()) {
                    flushBatch();
                }
            } else {
                progress.queueWrite(pipeline, topic, partition, done.nextOffset, position.seen(), done.origin.value(),
                        done.originLsn, done.version.timestamptz());
                done.positionStored = true;
                sendWrites();
                link.current().commit();
                tx = null;
                advance(done);
            }
        }
        storeWhenIdle();
    }

    /** Transaction {@code done} committed (or was passed over): the partition's position moves past it. */
    private void advance(SourceTransaction done) {
        position.committed(done.nextOffset, done.seenAtEnd, done.positionStored, System.nanoTime());
        if (!done.writing) {
            return;
        }
        oneByOne = false;
        metrics.committed(done.snapshot, done.rows, done.conflicts);
        if (done.discarded > 0) {
            metrics.discarded(done.discarded);
            discards.committed(done.id());
        }
        if (!done.snapshot) {
            link.currentSession().applied(done.origin, done.originLsn);
        }
    }

    /** Stores the position now and then when only passing records over, so a restart need not re-read them. */
    private void storeWhenIdle() throws SQLException {
        if (frame.isEmpty() && position.storeDue(System.nanoTime(), config.progressFlushInterval().toNanos())) {
            Connection c = link.get();
            progress.write(c, topic, partition, position.durable(), position.durableSeen());
            c.commit();
            position.stored(System.nanoTime());
        }
    }

    private void abandon(String why) throws SQLException {
        LOG.warn("Discarding the partly applied transaction {} of {} in {}-{}: {}", tx.originLsn, tx.origin, topic,
                partition, why);
        if (!frame.holdsEnded()) {
            rollbackQuietly();
            return;
        }
        // nothing of it was sent (sending would have committed the transactions queued before it):
        // its statements leave the frame, the ones before it stay queued
        if (tx.writing) {
            frame.takeOpen(tx);
        }
        pendingTruncates.clear();
        batch.clear();
        tx = null;
    }

    /**
     * Undoes the open transaction after a failure and returns where the partition must be read
     * again from: the end of the last transaction that committed (or was passed over), or, before
     * the first one ended, the first offset of this session (where that transaction began); -1
     * only when no record was delivered yet, and then there is nothing to read again.
     */
    @Override
    public long rollback() {
        rollbackQuietly();
        oneByOne = true;
        failedAmongOthers = false;
        committedPrefix();
        return position.rewind();
    }

    /**
     * After a failure in an exchange of several transactions, those before the failing one are
     * committed. The position is stored once per exchange, by its last transaction, so what is read
     * back is usually where the exchange began (or where an earlier one of the same delivery
     * ended); resuming there, or earlier when it cannot be read, is safe: the committed ones are
     * passed over by their origin LSN, recorded with each of them in pgmesh.applied_origins.
     */
    private void committedPrefix() {
        Connection c = link.current();
        if (c == null || !position.checked()) {
            return;
        }
        try {
            Optional<SinkProgress.Position> stored = progress.read(c, topic, partition);
            c.commit();
            if (stored.isPresent() && position.committedBeyond(stored.get())) {
                LOG.info("{}-{}: the transactions up to offset {} committed before the failure; resuming there", topic,
                        partition, stored.get().nextOffset());
            }
        } catch (SQLException e) {
            LOG.debug("Could not read the position of {}-{} after the failure ({}); resuming at offset {}", topic,
                    partition, e.getMessage(), position.durable());
            rollbackQuietly();
        }
    }

    private void rollbackQuietly() {
        forgetTransaction();
        Connection c = link.current();
        if (c == null) {
            return;
        }
        try {
            c.rollback();
            link.currentSession().forget();
        } catch (SQLException e) {
            LOG.debug("Rollback failed ({}); dropping the connection", e.getMessage());
            link.drop();
        }
    }

    /** Drops what the open transaction held in memory; the database is left alone. */
    private void forgetTransaction() {
        tx = null;
        pendingTruncates.clear();
        frame.clear();
        batch.clear();
        position.forgetOpen();
        currentStatement = null;
        tables.forgetAll();
    }

    /**
     * Whether the last failure struck statements of several changes sent together: applied again
     * after {@link #rollback}, that transaction goes one change at a time and a failure names its
     * change. Read before {@code rollback()}.
     */
    @Override
    public boolean failedAmongOthers() {
        return failedAmongOthers;
    }

    /** What was being applied when a failure struck, for the error message. */
    @Override
    public String currentStatement() {
        return currentStatement;
    }

    /** The next offset whose transactions committed on this node (or were passed over), or -1 before the first. */
    public long durableOffset() {
        return position.durable();
    }

    /**
     * The next offset Kafka may record as consumed, or -1: {@link #durableOffset()} when commits
     * wait for their WAL flush; otherwise only as far as PostgreSQL has flushed, looked at on this
     * partition's connection between transactions (a crash forgets unflushed commits, and a task
     * started on a node that holds no stored position yet resumes at Kafka's offset).
     */
    public long committableOffset() {
        long durable = position.durable();
        if (config.synchronousCommit() || durable < 0) {
            return durable;
        }
        Connection c = link.current();
        if (tx != null || frame.holdsEnded() || c == null) {
            return flushed.safe();
        }
        try (Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn(), pg_current_wal_flush_lsn()")) {
            rs.next();
            Lsn insert = Lsn.parse(rs.getString(1));
            Lsn flush = Lsn.parse(rs.getString(2));
            c.commit();
            flushLookFailed = false;
            return flushed.observe(durable, insert, flush);
        } catch (SQLException e) {
            if (!flushLookFailed && !link.broken()) {
                LOG.warn("Could not read how far node {} has flushed its WAL ({}); the consumer offset of {}-{} stays"
                        + " at {} until it can", config.nodeName(), e.getMessage(), topic, partition, flushed.safe());
                flushLookFailed = true;
            }
            try {
                c.rollback();
            } catch (SQLException broken) {
                link.drop();
            }
            return flushed.safe();
        }
    }

    public String topic() {
        return topic;
    }

    public int partition() {
        return partition;
    }

    /**
     * Lets the partition go at once (the task stops, or the partition moves to another task): the
     * connection is dropped without waiting for the server, which rolls back what was open.
     */
    @Override
    public void close() {
        forgetTransaction();
        link.close();
        applier.closeStatements();
    }

    /** Runs maintenance statements on this partition's connection, outside any apply transaction. */
    public void maintain(String sql) throws SQLException {
        if (tx != null || frame.holdsEnded()) {
            return;
        }
        Connection c = link.get();
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
        c.commit();
    }
}
