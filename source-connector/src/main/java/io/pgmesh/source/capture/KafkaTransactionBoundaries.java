package io.pgmesh.source.capture;

import java.util.List;

/**
 * Where, under exactly-once, a poll batch's Kafka transaction ends: on the batch's last PostgreSQL
 * commit, so that a Kafka transaction normally holds whole PostgreSQL transactions; and, once the
 * open Kafka transaction holds {@code maxRecords} or more, on the batch's last record even inside a
 * PostgreSQL transaction. Connect keeps every record of an open Kafka transaction in the worker's
 * heap until it commits, so a PostgreSQL transaction of a million rows in one Kafka transaction
 * would need the heap for a million records. Ending one inside a PostgreSQL transaction is safe:
 * the committed offset is a (commit LSN, position) inside it, from which a restarted task resumes;
 * the slot is confirmed only past whole transactions; and a sink applies a transaction's records
 * in one local transaction wherever Kafka transactions end.
 */
public final class KafkaTransactionBoundaries {

    private final int maxRecords;
    private int open;

    public KafkaTransactionBoundaries(int maxRecords) {
        if (maxRecords < 1) {
            throw new IllegalArgumentException("maxRecords must be positive: " + maxRecords);
        }
        this.maxRecords = maxRecords;
    }

    /**
     * The index in {@code batch} of the record after which to commit, or -1 to leave the Kafka
     * transaction open; counts the batch's records as handed on.
     */
    public int commitAfter(List<ChangeEvent> batch) {
        int lastCommit = -1;
        for (int i = 0; i < batch.size(); i++) {
            if (batch.get(i).headers().txLast()) {
                lastCommit = i;
            }
        }
        open += batch.size();
        if (open >= maxRecords && !batch.isEmpty()) {
            open = 0;
            return batch.size() - 1;
        }
        if (lastCommit >= 0) {
            open = batch.size() - 1 - lastCommit;
        }
        return lastCommit;
    }

    /** Records handed on since the last commit. */
    public int open() {
        return open;
    }
}
