package io.pgmesh.cli.command;

import io.pgmesh.cli.status.MeshStatus;
import io.pgmesh.cli.status.NodeStatus;
import io.pgmesh.cli.status.StatusTable;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "status", mixinStandardHelpOptions = true, description = {"Per node: connector and task states, WAL not yet in Kafka; per node and origin:",
        "the applied position, the lag (time and WAL bytes since the oldest change not yet applied, records",
        "behind in the topic) and the conflicts logged. Exit status 1 when a connector is not running."})
final class StatusCommand implements Callable<Integer> {

    private final Context context;
    @Mixin
    Target target;
    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    StatusCommand(Context context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        List<NodeStatus> status = new MeshStatus(target.cluster(), target.connectClient(), context.environment()).gather();
        context.out().print(json ? StatusTable.json(status) : StatusTable.text(status));
        return status.stream().allMatch(StatusTable::healthy) ? 0 : 1;
    }
}
