package io.pgmesh.cli.command;

import io.pgmesh.cli.cluster.ClusterFile;
import io.pgmesh.cli.cluster.NodeBootstrap;
import io.pgmesh.cli.cluster.NodeSpec;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "init", mixinStandardHelpOptions = true, description = {"Prepares each node: checks wal_level, track_commit_timestamp and the",
        "version, installs (or upgrades) schema pgmesh and records the node's name. Needs a superuser the",
        "first time (event triggers)."})
final class InitCommand implements Callable<Integer> {

    private final Context context;
    @Mixin
    Target target;
    @Option(names = "--node", paramLabel = "NAME", description = "Only this node (default: every node).")
    String node;

    InitCommand(Context context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        ClusterFile cluster = target.cluster();
        List<NodeSpec> nodes = node == null ? cluster.nodes() : List.of(cluster.node(node));
        context.out().printf("Preparing %d nodes%n", nodes.size());
        new NodeBootstrap(context.environment(), context.out()).run(nodes);
        return 0;
    }
}
