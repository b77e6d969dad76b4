package io.pgmesh.cli.status;

import java.util.List;

/**
 * What {@code pgmeshctl status} reports of one node.
 *
 * @param node            the node
 * @param source          its source connector and task states, e.g. "RUNNING [RUNNING]", or why unknown
 * @param sink            its sink connector and task states
 * @param captureLagBytes WAL the node wrote that its source has not yet had acknowledged by Kafka
 *                        (current WAL position minus the slot's confirmed position), -1 when unknown
 * @param origins         per peer whose changes this node applies
 * @param stalls          the node's connectors that report themselves stalled (or stopped reporting)
 * @param problem         why the node's database could not be read, else null
 */
public record NodeStatus(String node, String source, String sink, long captureLagBytes, List<OriginStatus> origins,
                         List<Stall> stalls, String problem) {

    public NodeStatus {
        origins = List.copyOf(origins);
        stalls = List.copyOf(stalls);
    }

    /**
     * A connector that has work and makes no progress, as its connector instance recorded in
     * pgmesh.connector_health, even while Connect says RUNNING.
     *
     * @param connector   its name
     * @param since       when it stopped moving (ISO text)
     * @param forSeconds  how long ago that was
     * @param waitingFor  what it waits for
     */
    public record Stall(String connector, String since, long forSeconds, String waitingFor) {
    }

    /**
     * How far a node is in applying one origin's changes.
     *
     * @param origin         the peer
     * @param appliedLsn     the origin LSN of the last transaction of that peer applied here, or null
     * @param appliedCommit  that transaction's commit time on the peer (ISO text), or null
     * @param transactions   transactions of that peer applied here
     * @param lagMillis      now minus the commit time of the oldest change of the peer not yet
     *                       applied here (0 when none is waiting in the peer's topic); -1 when unknown
     * @param lagBytes       WAL the peer wrote since that change (0 when none waits); -1 when unknown
     * @param recordsBehind  records of the peer's topic after the sink's stored position (heartbeats
     *                       and copies this node skips included); -1 when unknown
     * @param conflicts      conflicts logged here for changes of that peer
     */
    public record OriginStatus(String origin, String appliedLsn, String appliedCommit, long transactions,
                               long lagMillis, long lagBytes,
                               long recordsBehind, long conflicts) {
    }
}
