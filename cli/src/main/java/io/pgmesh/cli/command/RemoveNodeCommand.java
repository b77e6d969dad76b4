package io.pgmesh.cli.command;

import io.pgmesh.cli.Membership;
import io.pgmesh.cli.Membership.Removal;
import io.pgmesh.cli.cluster.ClusterFile;
import io.pgmesh.cli.cluster.NodeRemoval;
import io.pgmesh.cli.cluster.NodeSpec;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "remove-node", mixinStandardHelpOptions = true, description = {"Takes a node out of the mesh: deletes its connectors, removes its topic from",
        "every peer's sink, and with --cluster drops its slot and, on every peer, the replication origin and",
        "progress it was applied under. The rows it wrote stay on every peer."})
final class RemoveNodeCommand implements Callable<Integer> {

    private final Context context;
    @Mixin
    Target target;
    @Option(names = "--node", required = true, paramLabel = "NAME", description = "The node to remove.")
    String node;
    @Option(names = "--delete-topic", description = {"Delete the node's topic too (a later reseed from it is then",
            "impossible; the node's changes stay in its peers' topics)."})
    boolean deleteTopic;

    RemoveNodeCommand(Context context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        Optional<ClusterFile> cluster = target.clusterIfGiven();
        Removal removal = new Membership(target.connectClient(), context.out(), target.timeout()).removeNode(node);
        NodeRemoval cleanUp = new NodeRemoval(context.environment(), context.out());
        if (cluster.isPresent()) {
            Optional<NodeSpec> removed = cluster.get().nodes().stream().filter(n -> n.name().value().equals(node))
                    .findFirst();
            List<NodeSpec> peers = cluster.get().nodes().stream().filter(n -> removal.peers().contains(n.name().value()))
                    .toList();
            cleanUp.cleanUp(removal, removed, peers);
        } else {
            context.out().println("Without --cluster pgmeshctl cannot reach the databases; run:");
            context.out().println(NodeRemoval.manualSteps(removal));
        }
        if (deleteTopic) {
            String bootstrap = cluster.map(ClusterFile::kafka).orElse(removal.bootstrapServers());
            cleanUp.deleteTopic(removal, bootstrap);
        }
        context.out().printf("Node %s removed%s.%n", node, cluster.isPresent() ? ""
                : " from Connect (finish with the statements above)");
        return 0;
    }
}
