package io.pgmesh.sink.apply;

import io.pgmesh.sink.pipeline.StatementPipeline;
import java.util.ArrayList;
import java.util.List;

/**
 * The source transactions queued for the next exchange with the node, each framed as its own local
 * transaction: {@code <statements> COMMIT BEGIN <statements> COMMIT ...} (pgjdbc begins the
 * exchange's first transaction itself), the row changes whose results the statements bring, and
 * the transactions that ended in it, to be committed once it ran. The open transaction's part can
 * be taken out again while nothing of it was sent. Pure: building and cutting the frame, no JDBC.
 */
final class TransactionFraming {

    /** A row change of transaction {@code tx} queued in the pipeline, judged for conflicts once its statements ran. */
    record Written(SourceTransaction tx, io.pgmesh.sink.record.ChangeRecord record,
                   io.pgmesh.sink.schema.TargetTable table, RowChange change, ChangeApplier.Applied applied,
                   String description) {
    }

    /** The open transaction's statements and writes, taken out of the frame. */
    record OpenPart(StatementPipeline statements, List<Written> writes) {
    }

    private final StatementPipeline pipeline = new StatementPipeline();
    private final List<Written> written = new ArrayList<>();
    /** Transactions that ended (committed or passed over) in the frame, in order. */
    private final List<SourceTransaction> ended = new ArrayList<>();
    /** Whether the frame ends with a COMMIT, so the next transaction queues its BEGIN. */
    private boolean commitQueued;

    /** The statements to send. */
    StatementPipeline pipeline() {
        return pipeline;
    }

    /** The row changes queued, in order. */
    List<Written> written() {
        return written;
    }

    /** The transactions that ended in the frame, in order. */
    List<SourceTransaction> ended() {
        return ended;
    }

    /** Whether transactions that ended wait in the frame. */
    boolean holdsEnded() {
        return !ended.isEmpty();
    }

    /** Whether nothing waits: no statement, no ended transaction. */
    boolean isEmpty() {
        return ended.isEmpty() && pipeline.isEmpty();
    }

    /** Transaction {@code tx} begins writing: after the ones queued, with a BEGIN when one committed before it. */
    void begin(SourceTransaction tx) {
        tx.pipelineStart = pipeline.size();
        tx.writtenStart = written.size();
        tx.beganWithBegin = commitQueued;
        if (commitQueued) {
            pipeline.add("BEGIN");
            commitQueued = false;
        }
    }

    /** Queues a row change whose statements were just added to the pipeline. */
    void wrote(Written w) {
        written.add(w);
    }

    /** Transaction {@code tx} ended with its statements queued: its COMMIT follows them. */
    void commit(SourceTransaction tx) {
        pipeline.add("COMMIT");
        commitQueued = true;
        ended.add(tx);
    }

    /** Transaction {@code tx} ended writing nothing: it is passed over once the ones before it commit. */
    void passOver(SourceTransaction tx) {
        ended.add(tx);
    }

    /** Whether the frame ends with the COMMIT of a transaction that ended (nothing of an open one follows it). */
    boolean endsWithCommit() {
        return commitQueued;
    }

    /**
     * Adds statements to the last transaction that ended, just before its COMMIT.
     *
     * @throws IllegalStateException when the frame does not end with a COMMIT
     */
    void beforeFinalCommit(java.util.function.Consumer<StatementPipeline> add) {
        if (!commitQueued) {
            throw new IllegalStateException("the frame does not end with a COMMIT");
        }
        StatementPipeline commit = pipeline.takeFrom(pipeline.size() - 1);
        add.accept(pipeline);
        pipeline.append(commit);
    }

    /** The frame was sent and ran: what it held is done, and the open transaction (if any) goes on in a new one. */
    void ran() {
        commitQueued = false;
        written.clear();
        ended.clear();
    }

    /**
     * Takes the open transaction's statements (without the BEGIN it queued) and writes out of the
     * frame, leaving the ended transactions before it queued as they were.
     */
    OpenPart takeOpen(SourceTransaction open) {
        StatementPipeline statements = pipeline.takeFrom(open.pipelineStart + (open.beganWithBegin ? 1 : 0));
        pipeline.truncate(open.pipelineStart);
        List<Written> ofOpen = written.subList(open.writtenStart, written.size());
        List<Written> writes = new ArrayList<>(ofOpen);
        ofOpen.clear();
        commitQueued = open.beganWithBegin;
        return new OpenPart(statements, writes);
    }

    /**
     * Puts the open transaction's part back into an empty frame after the ended ones were sent:
     * pgjdbc begins the next exchange's transaction itself, so its BEGIN stays out.
     */
    void putBack(SourceTransaction open, OpenPart part) {
        pipeline.append(part.statements());
        written.addAll(part.writes());
        open.pipelineStart = 0;
        open.writtenStart = 0;
        open.beganWithBegin = false;
        open.sent = false;
    }

    /** Drops everything queued. */
    void clear() {
        pipeline.clear();
        written.clear();
        ended.clear();
        commitQueued = false;
    }
}
