package io.pgmesh.cli.command;

import io.pgmesh.cli.ConnectClient;
import io.pgmesh.cli.ConnectorStates;
import io.pgmesh.cli.cluster.ClusterFile;
import io.pgmesh.cli.cluster.ConnectorPlan;
import io.pgmesh.cli.cluster.MeshApply;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "apply", mixinStandardHelpOptions = true, description = {"Creates or updates, through the Connect REST API, every connector the cluster",
        "file describes: the sources first (each creates its node's topic), then the sinks, waiting",
        "until each runs."})
final class ApplyCommand implements Callable<Integer> {

    private final Context context;
    @Mixin
    Target target;

    ApplyCommand(Context context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        ClusterFile cluster = target.cluster();
        ConnectorPlan plan = new ConnectorPlan(cluster, context.environment());
        ConnectClient connect = target.connectClient();
        new MeshApply(connect, new ConnectorStates(connect, target.timeout()), context.out())
                .apply(cluster.nodes().stream().map(plan::source).toList(), cluster.nodes().stream().map(plan::sink).toList());
        return 0;
    }
}
