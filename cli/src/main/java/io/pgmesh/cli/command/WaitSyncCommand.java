package io.pgmesh.cli.command;

import io.pgmesh.cli.cluster.ClusterFile;
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
        events.forEach((peer, event) -> {
            Duration took = sync.await(waiting, peer, event, target.timeout());
            context.out().printf("%s has applied everything %s committed up to its sync event at %s (%d ms)%n",
                    waiting.name(), peer.name(), event, took.toMillis());
        });
        return 0;
    }
}
