package io.pgmesh.cli.command;

import io.pgmesh.cli.CliException;
import io.pgmesh.cli.ConnectorFailedException;
import io.pgmesh.cli.ConnectorStates;
import io.pgmesh.cli.cluster.ClusterFile;
import io.pgmesh.cli.cluster.ConnectorPlan;
import io.pgmesh.cli.cluster.NodeSpec;
import io.pgmesh.cli.status.SyncWait;
import io.pgmesh.common.Lsn;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "wait-sync", mixinStandardHelpOptions = true, description = {"Waits until a node has applied everything its peers committed before the",
        "command started (a sync event on each peer, as Spock's sync_event). Exit status 1 on timeout."})
final class WaitSyncCommand implements Callable<Integer> {

    private final Context context;
    @Mixin
    Target target;
    @Option(names = "--node", required = true, paramLabel = "NAME", description = "The node that must catch up.")
    String node;
    @Option(names = "--peer", paramLabel = "NAME", split = ",",
            description = "Peers to wait for (default: every other node).")
    List<String> peers;

    WaitSyncCommand(Context context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        ClusterFile cluster = target.cluster();
        NodeSpec waiting = cluster.node(node);
        List<NodeSpec> of = peers == null ? cluster.nodes().stream().filter(n -> !n.name().equals(waiting.name())).toList()
                : peers.stream().map(cluster::node).toList();
        SyncWait sync = new SyncWait(context.environment());
        Map<NodeSpec, Lsn> events = new LinkedHashMap<>();
        for (NodeSpec peer : of) {
            events.put(peer, sync.emit(peer));
        }
        ConnectorStates states = new ConnectorStates(target.connectClient(), target.timeout());
        events.forEach((peer, event) -> {
            Duration took = sync.await(waiting, peer, event, target.timeout(), () -> {
                throwIfFailed(states, ConnectorPlan.sinkName(waiting));
                throwIfFailed(states, ConnectorPlan.sourceName(peer));
            });
            context.out().printf("%s has applied everything %s committed up to its sync event at %s (%d ms)%n",
                    waiting.name(), peer.name(), event, took.toMillis());
        });
        return 0;
    }

    /** Ends the wait when a connector it depends on FAILED; a Connect that does not answer only leaves the wait to its bound. */
    private static void throwIfFailed(ConnectorStates states, String connector) {
        try {
            states.throwIfFailed(connector);
        } catch (ConnectorFailedException e) {
            throw e;
        } catch (CliException unreachable) {
            // the databases tell whether the node caught up; Connect is only asked why it may not
        }
    }
}
