package io.pgmesh.cli.command;

import io.pgmesh.cli.Pgmeshctl;
import picocli.CommandLine;

/** pgmeshctl's commands, each given the context it writes to. */
public final class Commands {

    private Commands() {
    }

    public static CommandLine commandLine(Context context) {
        CommandLine line = new CommandLine(Pgmeshctl.root());
        line.addSubcommand(new InitCommand(context));
        line.addSubcommand(new PlanCommand(context));
        line.addSubcommand(new ApplyCommand(context));
        line.addSubcommand(new StatusCommand(context));
        line.addSubcommand(new WaitSyncCommand(context));
        line.addSubcommand(new AddNodeCommand(context));
        line.addSubcommand(new ReseedCommand(context));
        line.addSubcommand(new RemoveNodeCommand(context));
        return line;
    }
}
