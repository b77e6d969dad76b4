package io.pgmesh.cli.command;

import io.pgmesh.cli.Membership;
import io.pgmesh.cli.MeshTopology.Connector;
import io.pgmesh.cli.cluster.ClusterFile;
import io.pgmesh.cli.cluster.ConnectorPlan;
import io.pgmesh.cli.cluster.NodeSpec;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "add-node", mixinStandardHelpOptions = true, description = {"Adds a node to the running mesh: starts its source, seeds its database from",
        "the peer's topic, then makes it read every peer's topic and every peer read its topic.",
        "With --cluster the connectors come from the cluster file (add the node to it first); otherwise",
        "give --source-config and --sink-config, connector JSON as POSTed to Connect."})
final class AddNodeCommand implements Callable<Integer> {

    private final Context context;
    @Spec
    CommandSpec spec;
    @Mixin
    Target target;
    @Option(names = "--node", required = true, paramLabel = "NAME", description = "The new node.")
    String node;
    @Option(names = "--seed-from", required = true, paramLabel = "PEER", description = "The peer whose topic seeds it.")
    String seed;
    @Option(names = "--source-config", paramLabel = "FILE", description = "The new node's source connector JSON.")
    String sourceFile;
    @Option(names = "--sink-config", paramLabel = "FILE", description = "The new node's sink connector JSON.")
    String sinkFile;

    AddNodeCommand(Context context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        Connector source;
        Connector sink;
        if (sourceFile != null || sinkFile != null) {
            if (sourceFile == null || sinkFile == null) {
                throw new ParameterException(spec.commandLine(), "give both --source-config and --sink-config");
            }
            source = ConnectorFiles.read(sourceFile);
            sink = ConnectorFiles.read(sinkFile);
        } else {
            ClusterFile cluster = target.cluster();
            NodeSpec spec = cluster.node(node);
            ConnectorPlan plan = new ConnectorPlan(cluster, context.environment());
            source = plan.source(spec);
            sink = plan.sink(spec);
        }
        new Membership(target.connectClient(), context.out(), target.timeout()).addNode(node, source, sink, seed);
        return 0;
    }
}
