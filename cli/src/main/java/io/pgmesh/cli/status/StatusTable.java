package io.pgmesh.cli.status;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pgmesh.cli.status.NodeStatus.OriginStatus;
import java.util.List;

/** {@code pgmeshctl status} output: a table for people, JSON for scripts. */
public final class StatusTable {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private StatusTable() {
    }

    /** Whether the node's connectors all run and its database answered. */
    public static boolean healthy(NodeStatus n) {
        return n.problem() == null && running(n.source()) && running(n.sink()) && n.stalls().isEmpty();
    }

    private static boolean running(String state) {
        return state.startsWith("RUNNING [") && !state.contains("FAILED") && !state.contains("PAUSED")
                && !state.equals("RUNNING []");
    }

    public static String text(List<NodeStatus> nodes) {
        StringBuilder out = new StringBuilder();
        for (NodeStatus n : nodes) {
            out.append(String.format("node %s%n  source %-28s WAL not yet in Kafka: %s%n  sink   %s%n", n.node(),
                    n.source(), bytes(n.captureLagBytes()), n.sink()));
            if (n.problem() != null) {
                out.append("  PROBLEM: ").append(n.problem()).append(System.lineSeparator());
            }
            for (NodeStatus.Stall stall : n.stalls()) {
                out.append(String.format("  STALLED %s since %s (%s): waiting for %s%n", stall.connector(), stall.since(),
                        millis(stall.forSeconds() * 1000), stall.waitingFor()));
            }
            if (!n.origins().isEmpty()) {
                out.append(String.format("  %-12s %-14s %-10s %-10s %-12s %-12s %s%n", "from", "applied lsn",
                        "applied tx", "lag", "lag wal", "behind", "conflicts"));
            }
            for (OriginStatus o : n.origins()) {
                out.append(String.format("  %-12s %-14s %-10d %-10s %-12s %-12s %d%n", o.origin(),
                        o.appliedLsn() == null ? "-" : o.appliedLsn(), o.transactions(), millis(o.lagMillis()),
                        bytes(o.lagBytes()),
                        o.recordsBehind() < 0 ? "?" : o.recordsBehind() + " rec", o.conflicts()));
            }
        }
        return out.toString();
    }

    public static String json(List<NodeStatus> nodes) {
        try {
            return JSON.writeValueAsString(nodes) + System.lineSeparator();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String millis(long ms) {
        return ms < 0 ? "?" : ms < 10_000 ? ms + " ms" : (ms / 1000) + " s";
    }

    private static String bytes(long b) {
        return b < 0 ? "?" : b < 10_240 ? b + " B" : b < 10_485_760 ? (b / 1024) + " kB" : (b / 1_048_576) + " MB";
    }
}
