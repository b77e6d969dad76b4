package io.pgmesh.sink.record;

import io.pgmesh.common.NodeName;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.sink.config.PgmeshSinkConfig.OriginFilter;
import java.util.Set;

/**
 * Decides what a sink does with a record of a peer's topic. Never a change that originated on
 * this node (that is how the mesh has no loops); by default only changes the topic's owner made
 * itself (forwarded copies arrive from their own origin's topic); only tables in a subscribed
 * replication set; no heartbeats or logical messages other than replicated DDL (which is judged
 * like a change, by the sets it was replicated in) and sync events; nothing its origin's progress
 * says is already applied.
 */
public final class RecordFilter {

    /** What to do with a record. */
    public enum Verdict {
        APPLY, OWN_ORIGIN, FORWARDED, NOT_SUBSCRIBED, NOT_A_ROW_CHANGE, ALREADY_APPLIED
    }

    /** What a logical-message record carries. */
    public enum Message {
        /** Replicated DDL: judged like a change, by the sets it was replicated in. */
        DDL,
        /** A sync event: applied (as an empty transaction that records the origin's progress), whatever the sets. */
        SYNC_EVENT,
        /** Any other record (row changes and truncates too; other messages are never applied). */
        OTHER
    }

    private final NodeName self;
    private final OriginFilter originFilter;
    private final Set<String> sets;

    public RecordFilter(NodeName self, OriginFilter originFilter, Set<String> sets) {
        this.self = self;
        this.originFilter = originFilter;
        this.sets = Set.copyOf(sets);
    }

    /**
     * @param message what a logical message record is: replicated DDL, a sync event, or other
     * @param owner   the node whose topic the record is in
     * @param applied the origin's progress on this node: the last origin LSN applied
     */
    public Verdict verdict(ChangeHeaders h, Message message, NodeName owner, io.pgmesh.common.Lsn applied) {
        if (h.op() == Operation.HEARTBEAT || (h.op() == Operation.MESSAGE && message == Message.OTHER)) {
            return Verdict.NOT_A_ROW_CHANGE;
        }
        if (h.originNode().equals(self) && originFilter == OriginFilter.TOPIC_OWNER) {
            // with origin.filter=all (reseeding) this node's own changes are applied from the peer's
            // copies too: a node rebuilt empty has lost them, and they are deduplicated like any origin
            return Verdict.OWN_ORIGIN;
        }
        if (originFilter == OriginFilter.TOPIC_OWNER && !h.originNode().equals(owner)) {
            return Verdict.FORWARDED;
        }
        if (message != Message.SYNC_EVENT && !h.inAnySet(sets)) {
            return Verdict.NOT_SUBSCRIBED;
        }
        if (!h.originLsn().isAfter(applied)) {
            return Verdict.ALREADY_APPLIED;
        }
        return Verdict.APPLY;
    }
}
