package io.pgmesh.cli.command;

import io.pgmesh.cli.ConnectClient;
import io.pgmesh.cli.ConnectorStates;
import io.pgmesh.cli.cluster.ConnectorPlan;
import io.pgmesh.cli.cluster.MeshApply;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "plan", mixinStandardHelpOptions = true, description = {"Renders the connectors the cluster file describes and says which apply would",
        "create, update or leave unchanged. Passwords are masked."})
final class PlanCommand implements Callable<Integer> {

    private final Context context;
    @Mixin
    Target target;
    @Option(names = "--show-config", description = "Print each connector's configuration too.")
    boolean showConfig;

    PlanCommand(Context context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        ConnectorPlan plan = new ConnectorPlan(target.cluster(), context.environment());
        ConnectClient connect = target.connectClient();
        new MeshApply(connect, new ConnectorStates(connect, target.timeout()), context.out()).plan(plan.all(), showConfig);
        return 0;
    }
}
