package io.pgmesh.cli.command;

import io.pgmesh.cli.Membership;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "reseed", mixinStandardHelpOptions = true, description = {"Rebuilds a node whose database was emptied or recreated, from the peer's topic",
        "(see docs/operations.md for what to do before)."})
final class ReseedCommand implements Callable<Integer> {

    private final Context context;
    @Mixin
    Target target;
    @Option(names = "--node", required = true, paramLabel = "NAME", description = "The node to rebuild.")
    String node;
    @Option(names = "--seed-from", required = true, paramLabel = "PEER", description = "The healthy peer.")
    String seed;

    ReseedCommand(Context context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        new Membership(target.connectClient(), context.out(), target.timeout()).reseed(node, seed);
        return 0;
    }
}
