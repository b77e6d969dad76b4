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
import io.pgmesh.common.sql.PostgresConnector;
import io.pgmesh.sink.config.PgmeshSinkConfig.OriginFilter;
import io.pgmesh.sink.config.PgmeshSinkConfig;
import io.pgmesh.sink.conflict.Conflict;
import io.pgmesh.sink.conflict.ConflictJudge;
import io.pgmesh.sink.conflict.ConflictLog;
import io.pgmesh.sink.conflict.ConflictType;
import io.pgmesh.sink.conflict.SeenVector;
import io.pgmesh.sink.conflict.Version;
import io.pgmesh.sink.ddl.DdlApplier;
import io.pgmesh.sink.failure.FailedPartition;
import io.pgmesh.sink.metrics.SinkMetrics;
import io.pgmesh.sink.pipeline.StatementPipeline;
import io.pgmesh.sink.progress.FlushedOffset;
import io.pgmesh.sink.progress.SinkProgress;
import io.pgmesh.sink.record.ChangeRecord;
import io.pgmesh.sink.record.RecordFilter.Verdict;
import io.pgmesh.sink.record.RecordFilter;
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
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one peer topic partition to this node, in topic order: each source transaction becomes
 * one local transaction in the replication-origin session of its origin, committed together with
 * the origin's progress and this partition's position. Records it must not apply are passed over.
 * Not thread-safe: the sink task drives it.
 */
public final class PartitionApplier implements FailedPartition, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PartitionApplier.class);

    private final String topic;
    private final int partition;
    private final NodeName owner;
    private final PgmeshSinkConfig config;
    private final PostgresConnector connector;
    private final RecordFilter filter;
    private final SinkProgress progress;
    private final ConflictLog conflicts;
    private final TargetTables tables;
    private final ChangeApplier applier;
    private final SinkMetrics metrics;
    private Connection connection;
    private OriginSession session;
    /** What this sink had seen before it stored any position for the partition: the floor of its first session. */
    private final SeenVector initialSeen = SeenVector.of(java.util.Map.of(), nowMicros());
    private SeenVector seen = initialSeen.copy();
    private SeenVector durableSeen = seen.copy();
    private Transaction tx;
    private final List<ChangeRecord> pendingTruncates = new ArrayList<>();
    /** The current transaction's statements not sent yet, and the writes whose results they bring. */
    private final StatementPipeline pipeline = new StatementPipeline();
    private final List<Written> written = new ArrayList<>();
    /**
     * Source transactions whose statements and COMMIT are queued in the pipeline (or that were
     * passed over after them): committed once the pipeline ran, in order.
     */
    private final List<Transaction> finished = new ArrayList<>();
    /** Whether the pipeline ends with a COMMIT, so the next transaction queues its BEGIN. */
    private boolean commitQueued;
    /** Snapshot rows waiting to be inserted together, ahead of the pipeline's statements. */
    private final SnapshotBatch batch = new SnapshotBatch();
    /** After a failure, the next transaction is applied one statement at a time, so an error names its change. */
    private boolean oneByOne;
    /** Whether the last failure came from statements of several changes sent together (which one failed is unknown). */
    private boolean failedAmongOthers;
    private long nextOffset = -1;
    private long durableOffset = -1;
    private long storedOffset = -1;
    /** With synchronous commit off: how far the applied offsets are flushed to disk, for Kafka's offset. */
    private final FlushedOffset flushed = new FlushedOffset();
    private boolean flushLookFailed;
    private long lastStoreNanos = System.nanoTime();
    /**
     * Whether the partition's position was read from the database on the current connection. A
     * lost connection clears it: PostgreSQL may have restarted and, with synchronous_commit off,
     * forgotten the last transactions this sink committed, so where to resume is read again.
     */
    private boolean positionChecked;
    /** The first offset Kafka delivered, where to resume when the database holds no position yet. */
    private long firstDelivered = -1;
    private String currentStatement;
    /**
     * Changes to leave out when their transaction is read again, decided by the apply-error policy
     * after a failure; kept across rollbacks, dropped once their transaction commits.
     */
    private final List<Discard> discards = new ArrayList<>();
    /** The record whose own statement failed (one change at a time), or -1; and the transaction a failure struck. */
    private long failedRowOffset = -1;
    private TxId failedTx;
    /** The last record processed: what a failure of an exchange of several transactions is reported against. */
    private ChangeRecord lastRecord;

    /** A source transaction: its origin and commit LSN. */
    private record TxId(NodeName origin, Lsn commitLsn) {
    }

    /** Leave out, of transaction {@code tx}, the change at {@code rowOffset}, or every change when it is -1. */
    private record Discard(TxId tx, long rowOffset, ExceptionLog.Reason reason) {
        boolean covers(ChangeHeaders h, long offset) {
            return tx.origin().equals(h.originNode()) && tx.commitLsn().equals(h.commitLsn())
                    && (rowOffset < 0 || rowOffset == offset);
        }
    }

    /** A row change of transaction {@code tx} queued in the pipeline, judged for conflicts once its statements ran. */
    private record Written(Transaction tx, ChangeRecord record, TargetTable table, RowChange change,
                           ChangeApplier.Applied applied, String description) {
    }

    /** Statements a pipeline holds at most before they are sent, even within one transaction. */
    private static final int MAX_PIPELINED = 200;

    /** The source transaction being applied. */
    private static final class Transaction {
        final NodeName origin;
        final Lsn commitLsn;
        final Lsn originLsn;
        final Version version;
        /** Rows of a snapshot: applied in runs of one origin and commit time, without origin progress. */
        final boolean snapshot;
        int lastSeq;
        boolean writing;
        /** Row changes, conflicts and changes left out, counted in the metrics once it commits. */
        int rows;
        final List<ConflictType> conflicts = new ArrayList<>();
        int discarded;
        /** Where its statements begin in the pipeline and among the writes, while nothing of it was sent. */
        int pipelineStart;
        int writtenStart;
        boolean beganWithBegin;
        /**
         * Whether statements of it already ran: it holds locks on the server, so once it ends it
         * commits at once instead of waiting in the pipeline while other partitions apply.
         */
        boolean sent;
        /** Once it ended: the offset after its last record, and what the peer had seen by then. */
        long nextOffset = -1;
        SeenVector seenAtEnd;

        Transaction(ChangeHeaders h, Version version) {
            this.origin = h.originNode();
            this.commitLsn = h.commitLsn();
            this.originLsn = h.originLsn();
            this.version = version;
            this.snapshot = h.snapshot();
            this.lastSeq = h.txSeq();
        }

        /**
         * Whether {@code h} continues this snapshot transaction with a row of another origin or
         * commit time: the run so far is committed first, so that every row is applied with its
         * own commit time and origin, as PostgreSQL records one per local transaction.
         */
        boolean snapshotRunEndsAt(ChangeHeaders h, Version next) {
            return snapshot && h.snapshot() && commitLsn.equals(h.commitLsn()) && h.txSeq() == lastSeq + 1
                    && (!origin.equals(h.originNode()) || !version.equals(next));
        }

        /**
         * Whether {@code h} is a later record of this transaction. A gap in the sequence is a
         * record compaction removed (a later record writes its row again); a sequence number seen
         * already starts a second copy of the transaction.
         */
        boolean continuedBy(ChangeHeaders h) {
            return origin.equals(h.originNode()) && commitLsn.equals(h.commitLsn()) && h.txSeq() > lastSeq;
        }
    }

    /** @param tables the node's tables, shared by the task's appliers so that DDL any of them applies is seen by all */
    public PartitionApplier(String topic, int partition, NodeName owner, PgmeshSinkConfig config, TargetTables tables,
                            SinkMetrics metrics) {
        this.metrics = metrics;
        this.tables = tables;
        this.topic = topic;
        this.partition = partition;
        this.owner = owner;
        this.config = config;
        this.connector = new PostgresConnector(config.database());
        this.filter = new RecordFilter(config.nodeName(), config.originFilter(), config.replicationSets());
        this.progress = new SinkProgress(config.connectorName());
        this.conflicts = new ConflictLog(config.logConflictRows());
        this.applier = new ChangeApplier(config.logConflictRows());
    }

    /** The stored position to resume at, if this sink applied from this partition before. */
    public Optional<Long> storedPosition() throws SQLException {
        Optional<SinkProgress.Position> stored = progress.read(connection(), topic, partition);
        connection().commit();
        if (stored.isPresent()) {
            seen = stored.get().seen();
            storedOffset = stored.get().nextOffset();
            durableOffset = storedOffset;
        } else {
            seen = initialSeen.copy();
            storedOffset = -1;
            durableOffset = -1;
        }
        durableSeen = seen.copy();
        flushed.reset(durableOffset);
        positionChecked = true;
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
            failedTx = tx == null ? null : new TxId(tx.origin, tx.commitLsn);
            throw e;
        }
    }

    /**
     * Sends what the pipeline holds of the transactions that ended, so that they commit now (the
     * task calls it after each delivery from Kafka: nothing waits for more records).
     */
    public void flush() throws SQLException {
        failedRowOffset = -1;
        failedTx = null;
        if (finished.isEmpty()) {
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
        OpenPart open = detachOpen();
        flushBatch();
        // pgjdbc begins the next exchange's transaction itself: the open one's BEGIN stays out
        pipeline.append(open.statements());
        written.addAll(open.writes());
        tx.pipelineStart = 0;
        tx.writtenStart = 0;
        tx.beganWithBegin = false;
        tx.sent = false;
    }

    /** The open transaction's statements and writes, queued after transactions that ended and not sent yet. */
    private record OpenPart(StatementPipeline statements, List<Written> writes) {
    }

    /**
     * Takes the open transaction's statements (without the BEGIN it queued, if any) and writes out
     * of the pipeline, leaving the ended transactions before it queued as they were.
     */
    private OpenPart detachOpen() {
        StatementPipeline statements = pipeline.takeFrom(tx.pipelineStart + (tx.beganWithBegin ? 1 : 0));
        pipeline.truncate(tx.pipelineStart);
        List<Written> ofOpen = written.subList(tx.writtenStart, written.size());
        List<Written> writes = new ArrayList<>(ofOpen);
        ofOpen.clear();
        commitQueued = tx.beganWithBegin;
        return new OpenPart(statements, writes);
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
        PgmeshSinkConfig.ApplyErrorPolicy policy = config.applyErrorPolicy();
        if (policy == PgmeshSinkConfig.ApplyErrorPolicy.STOP || failedTx == null || failed.isDdl()
                || !io.pgmesh.common.sql.SqlStateClassifier.refusedData(e)) {
            return false;
        }
        boolean row = policy == PgmeshSinkConfig.ApplyErrorPolicy.DISCARD_ROW && failedRowOffset == failed.offset();
        long rowOffset = row ? failed.offset() : -1;
        for (Discard d : discards) {
            if (d.tx().equals(failedTx) && (d.rowOffset() < 0 || d.rowOffset() == rowOffset)) {
                return false;
            }
        }
        String name = row ? "discard_row" : "discard_transaction";
        discards.add(new Discard(failedTx, rowOffset, new ExceptionLog.Reason(name, failed.offset(), e.getSQLState(),
                e.getMessage())));
        LOG.warn("apply.error.policy={}: leaving out {} of transaction {} of {} ({}-{} offset {}: SQLSTATE {}: {});"
                        + " recorded in pgmesh.exceptions on node {}", config.applyErrorPolicy().configValue(),
                row ? "the change" : "every change", failed.headers().originLsn(), failedTx.origin(), topic, partition,
                failed.offset(), e.getSQLState(), e.getMessage(), config.nodeName());
        return true;
    }

    private Optional<Long> processRecord(ChangeRecord r) throws SQLException {
        if (positionChecked && connection != null && connection.isClosed()) {
            LOG.warn("The connection to node {} applying {}-{} was lost; reading where the partition stands in the"
                    + " database again", config.nodeName(), topic, partition);
            rollbackQuietly();
            closeConnection();
        }
        if (firstDelivered < 0) {
            firstDelivered = r.offset();
        }
        if (!positionChecked) {
            boolean reconnected = nextOffset >= 0;
            Optional<Long> stored = storedPosition();
            long resumeAt = stored.orElse(firstDelivered);
            if (resumeAt != r.offset()) {
                if (reconnected) {
                    LOG.warn("Resuming {}-{} at offset {}, not at offset {}: node {} {} (with synchronous commit off, a"
                            + " crash forgets the last transactions committed; they are applied again now)", topic,
                            partition, resumeAt, r.offset(), config.nodeName(), stored.isPresent()
                                    ? "kept the transactions committed up to there"
                                    : "kept no position for the partition, so from the first offset of this session");
                } else {
                    LOG.info("Resuming {}-{} at offset {} stored in the database (Kafka delivered {})", topic,
                            partition, resumeAt, r.offset());
                }
                rollbackQuietly();
                nextOffset = resumeAt;
                return Optional.of(resumeAt);
            }
        }
        if (nextOffset >= 0 && r.offset() < nextOffset) {
            return Optional.empty();
        }
        ChangeHeaders h = r.headers();
        if (tx != null && tx.snapshotRunEndsAt(h, r.version())) {
            finish(r.offset() - 1);
        }
        if (tx != null && !tx.continuedBy(h)) {
            if (tx.commitLsn.equals(h.commitLsn())) {
                abandon("the topic holds it again from an earlier record (the source was restarted within it);"
                        + " it is applied from that copy");
            } else {
                // a compacted topic drops a record whose key a later record writes again: the rest of
                // this transaction is superseded further on, so what it still has is applied as is
                LOG.debug("Transaction {} of {} in {}-{} ends without its last records (compacted away, the later"
                        + " changes of their rows follow); applying the {} it has", tx.originLsn, tx.origin, topic,
                        partition, tx.writing ? "records" : "none of the records");
                finish(r.offset() - 1);
            }
        }
        if (tx == null) {
            tx = new Transaction(h, r.version());
        }
        tx.lastSeq = h.txSeq();
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}-{} offset {}: {} of {} at {} seq {} last {} (durable {})", topic, partition, r.offset(),
                    h.op().wireName(), h.originNode(), h.originLsn(), h.txSeq(), h.txLast(), durableOffset);
        }
        boolean ownSkipped = h.originNode().equals(config.nodeName()) && config.originFilter() == OriginFilter.TOPIC_OWNER;
        RecordFilter.Message message = r.isDdl() ? RecordFilter.Message.DDL
                : r.isSyncEvent() ? RecordFilter.Message.SYNC_EVENT : RecordFilter.Message.OTHER;
        Verdict verdict = filter.verdict(h, message, owner, ownSkipped || h.snapshot()
                ? Lsn.INVALID : session().progress(h.originNode()));
        metrics.reached(owner, h);
        if (verdict != Verdict.APPLY) {
            metrics.filtered(verdict);
        }
        handle(r, verdict);
        if (h.txLast()) {
            finish(r.offset());
        }
        nextOffset = r.offset() + 1;
        return Optional.empty();
    }

    private void handle(ChangeRecord r, Verdict verdict) throws SQLException {
        ChangeHeaders h = r.headers();
        Discard discard = verdict == Verdict.APPLY && !r.isSyncEvent() && h.op() != Operation.HEARTBEAT
                ? discardOf(r) : null;
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
            seen.saw(h.originNode().value(), h.originCommitMicros());
        }
    }

    private Discard discardOf(ChangeRecord r) {
        for (Discard d : discards) {
            if (d.covers(r.headers(), r.offset())) {
                return d;
            }
        }
        return null;
    }

    private void applyDdl(ChangeRecord r) throws SQLException {
        beginWriting();
        sendWrites();
        DdlCommand ddl = DdlCommand.parse(((LogicalMessage) r.value()).content());
        currentStatement = "DDL \"" + ddl.sql() + "\" (as role " + ddl.role() + ", search_path " + ddl.searchPath() + ")";
        DdlApplier.apply(connection, ddl);
        DdlApplier.forward(connection, ((LogicalMessage) r.value()).content());
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
        written.add(new Written(tx, r, table, change, applier.queue(pipeline, connection, table, change, r.version()),
                description));
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
            left = batch.insert(connection, applier::prepare);
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
        currentStatement = written.size() == 1 ? written.get(0).description()
                : written.isEmpty() ? "the transaction's bookkeeping"
                : written.size() + " row changes sent together, from " + written.get(0).description() + " to "
                + written.get(written.size() - 1).description() + " (after a failure the sink applies the"
                + " transaction again one change at a time, and then names the change that fails)";
        if (!finished.isEmpty()) {
            currentStatement = finished.size() + " transactions sent together, from " + finished.get(0).originLsn
                    + " of " + finished.get(0).origin + " (after a failure the sink applies the failing transaction"
                    + " again on its own, one change at a time, and then names the change that fails)";
        }
        try {
            applier.execute(pipeline, connection);
        } catch (SQLException | RuntimeException e) {
            // the transactions before the failing one committed: rollback() reads how far
            failedAmongOthers = written.size() > 1 || !finished.isEmpty();
            throw e;
        }
        commitQueued = false;
        currentStatement = null;
        if (tx != null && tx.writing) {
            tx.sent = true;
        }
        for (Written w : written) {
            judge(w);
        }
        written.clear();
        for (Transaction done : finished) {
            advance(done);
        }
        finished.clear();
    }

    /**
     * Sends the pipeline, at the end of a transaction, and commits what is left open (the conflicts
     * of the batch's last transactions are logged after it ran).
     */
    private void flushBatch() throws SQLException {
        sendWrites();
        connection.commit();
    }

    private void judge(Written w) throws SQLException {
        ChangeRecord r = w.record();
        SeenVector known = w.tx().seenAtEnd != null ? w.tx().seenAtEnd : seen;
        for (ChangeApplier.Part part : w.applied().parts()) {
            Optional<Conflict> conflict = ConflictJudge.judge(part.change(), r.version(), part.result().outcome(), known);
            if (conflict.isPresent()) {
                w.tx().conflicts.add(conflict.get().type());
                Map<String, String> remoteRow = null;
                if (w.change().image() != null) {
                    remoteRow = new LinkedHashMap<>();
                    for (var c : w.change().image().values()) {
                        remoteRow.put(c.name(), c.value());
                    }
                }
                conflicts.log(connection, new ConflictLog.Entry(conflict.get(), w.table().id(), part.key(), r.version(),
                        r.headers().originLsn(), part.result().localImage(), remoteRow));
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
        try (PreparedStatement s = connection.prepareStatement("SELECT pgmesh.apply_truncate(?::oid[]::regclass[],"
                + " ?::timestamptz, ?, ?)")) {
            Array oids = connection.createArrayOf("int8", relids.toArray());
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
        return tables.find(connection, id).orElseThrow(() -> new SchemaMismatchException("Table " + id
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
            if (!finished.isEmpty() && (tx.snapshot || !session().boundTo(tx.origin))) {
                flushBatch();
            }
            tx.pipelineStart = pipeline.size();
            tx.writtenStart = written.size();
            tx.beganWithBegin = commitQueued;
            if (commitQueued) {
                pipeline.add("BEGIN");
                commitQueued = false;
            }
            session().begin(tx.origin, tx.originLsn, tx.version.timestamptz(), pipeline);
            tx.writing = true;
        }
    }

    /** Whether the ending transaction may stay queued for the same exchange as the next ones. */
    private boolean batching() {
        return !oneByOne && config.applyBatchMaxTransactions() > 1;
    }

    private void finish(long lastOffset) throws SQLException {
        flushTruncates();
        Transaction done = tx;
        done.nextOffset = lastOffset + 1;
        done.seenAtEnd = seen.copy();
        if (!done.writing) {
            tx = null;
            if (finished.isEmpty()) {
                advance(done);
            } else {
                finished.add(done);
            }
        } else if (done.snapshot) {
            // a snapshot's LSNs are not the origin's: its progress is neither checked nor advanced
            progress.queueWrite(pipeline, topic, partition, done.nextOffset, seen);
            sendWrites();
            connection.commit();
            tx = null;
            advance(done);
        } else {
            progress.queueWrite(pipeline, topic, partition, done.nextOffset, seen, done.origin.value(), done.originLsn,
                    done.version.timestamptz());
            if (batching() && !done.sent) {
                pipeline.add("COMMIT");
                commitQueued = true;
                finished.add(done);
                tx = null;
                if (finished.size() >= config.applyBatchMaxTransactions()
                        || pipeline.bytes() >= config.applyBatchMaxBytes()) {
                    flushBatch();
                }
            } else {
                sendWrites();
                connection.commit();
                tx = null;
                advance(done);
            }
        }
        storeWhenIdle();
    }

    /** Transaction {@code done} committed (or was passed over): the partition's position moves past it. */
    private void advance(Transaction done) {
        durableOffset = done.nextOffset;
        durableSeen = done.seenAtEnd;
        if (!done.writing) {
            return;
        }
        oneByOne = false;
        storedOffset = done.nextOffset;
        lastStoreNanos = System.nanoTime();
        metrics.committed(done.snapshot, done.rows, done.conflicts);
        if (done.discarded > 0) {
            metrics.discarded(done.discarded);
            TxId id = new TxId(done.origin, done.commitLsn);
            discards.removeIf(d -> d.tx().equals(id));
        }
        if (!done.snapshot) {
            session.applied(done.origin, done.originLsn);
        }
    }

    /** Stores the position now and then when only passing records over, so a restart need not re-read them. */
    private void storeWhenIdle() throws SQLException {
        if (finished.isEmpty() && pipeline.isEmpty() && durableOffset > storedOffset
                && System.nanoTime() - lastStoreNanos >= config.progressFlushInterval().toNanos()) {
            progress.write(connection(), topic, partition, durableOffset, durableSeen);
            connection.commit();
            storedOffset = durableOffset;
            lastStoreNanos = System.nanoTime();
        }
    }

    private void abandon(String why) throws SQLException {
        LOG.warn("Discarding the partly applied transaction {} of {} in {}-{}: {}", tx.originLsn, tx.origin, topic,
                partition, why);
        if (finished.isEmpty()) {
            rollbackQuietly();
            return;
        }
        // nothing of it was sent (sending would have committed the transactions queued before it):
        // its statements leave the pipeline, the ones before it stay queued
        if (tx.writing) {
            detachOpen();
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
        long rewind = durableOffset >= 0 ? durableOffset : firstDelivered;
        nextOffset = rewind;
        return rewind;
    }

    /**
     * After a failure in an exchange of several transactions, those before the failing one are
     * committed: the position stored with the last of them says where to resume. When it cannot be
     * read, resuming earlier is safe too (the committed ones are passed over by their origin LSN).
     */
    private void committedPrefix() {
        if (connection == null || !positionChecked) {
            return;
        }
        try {
            Optional<SinkProgress.Position> stored = progress.read(connection, topic, partition);
            connection.commit();
            if (stored.isPresent() && stored.get().nextOffset() > durableOffset) {
                LOG.info("{}-{}: the transactions up to offset {} committed before the failure; resuming there", topic,
                        partition, stored.get().nextOffset());
                durableOffset = stored.get().nextOffset();
                storedOffset = durableOffset;
                durableSeen = stored.get().seen();
                seen = durableSeen.copy();
            }
        } catch (SQLException e) {
            LOG.debug("Could not read the position of {}-{} after the failure ({}); resuming at offset {}", topic,
                    partition, e.getMessage(), durableOffset);
            rollbackQuietly();
        }
    }

    private void rollbackQuietly() {
        forgetTransaction();
        if (connection == null) {
            return;
        }
        try {
            connection.rollback();
            if (session != null) {
                session.forget();
            }
        } catch (SQLException e) {
            LOG.debug("Rollback failed ({}); dropping the connection", e.getMessage());
            closeConnection();
        }
    }

    /** Drops what the open transaction held in memory; the database is left alone. */
    private void forgetTransaction() {
        tx = null;
        pendingTruncates.clear();
        pipeline.clear();
        written.clear();
        finished.clear();
        commitQueued = false;
        batch.clear();
        seen = durableSeen.copy();
        currentStatement = null;
        tables.forgetAll();
    }

    private static long nowMicros() {
        return java.util.concurrent.TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis());
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
        return durableOffset;
    }

    /**
     * The next offset Kafka may record as consumed, or -1: {@link #durableOffset()} when commits
     * wait for their WAL flush; otherwise only as far as PostgreSQL has flushed, looked at on this
     * partition's connection between transactions (a crash forgets unflushed commits, and a task
     * started on a node that holds no stored position yet resumes at Kafka's offset).
     */
    public long committableOffset() {
        if (config.synchronousCommit() || durableOffset < 0) {
            return durableOffset;
        }
        if (tx != null || !finished.isEmpty() || connection == null) {
            return flushed.safe();
        }
        try (Statement s = connection.createStatement();
             java.sql.ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn(), pg_current_wal_flush_lsn()")) {
            rs.next();
            Lsn insert = Lsn.parse(rs.getString(1));
            Lsn flush = Lsn.parse(rs.getString(2));
            connection.commit();
            flushLookFailed = false;
            return flushed.observe(durableOffset, insert, flush);
        } catch (SQLException e) {
            if (!flushLookFailed && !isClosed(connection)) {
                LOG.warn("Could not read how far node {} has flushed its WAL ({}); the consumer offset of {}-{} stays"
                        + " at {} until it can", config.nodeName(), e.getMessage(), topic, partition, flushed.safe());
                flushLookFailed = true;
            }
            try {
                connection.rollback();
            } catch (SQLException broken) {
                closeConnection();
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

    private OriginSession session() throws SQLException {
        connection();
        return session;
    }

    private Connection connection() throws SQLException {
        if (connection != null && connection.isClosed()) {
            closeConnection();
        }
        if (connection == null) {
            connection = ApplyConnections.open(connector, config);
            session = new OriginSession(connection);
            applier.closeStatements();
        }
        return connection;
    }

    private static boolean isClosed(Connection c) {
        try {
            return c.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    private void closeConnection() {
        applier.closeStatements();
        if (connection != null) {
            positionChecked = false;
        }
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // already broken: nothing to release
            }
        }
        connection = null;
        session = null;
    }

    /**
     * Lets the partition go at once (the task stops, or the partition moves to another task): the
     * connection is dropped without waiting for the server, which rolls back what was open. A
     * rollback would wait for an answer from a server that may not give one.
     */
    @Override
    public void close() {
        forgetTransaction();
        Connection c = connection;
        connection = null;
        session = null;
        if (c != null) {
            try {
                c.abort(Runnable::run);
            } catch (SQLException | RuntimeException e) {
                LOG.debug("Dropping the connection of {}-{}: {}", topic, partition, e.getMessage());
            }
        }
        applier.closeStatements();
    }

    /** Runs maintenance statements on this partition's connection, outside any apply transaction. */
    public void maintain(String sql) throws SQLException {
        if (tx != null || !finished.isEmpty()) {
            return;
        }
        try (Statement s = connection().createStatement()) {
            s.execute(sql);
        }
        connection.commit();
    }
}
