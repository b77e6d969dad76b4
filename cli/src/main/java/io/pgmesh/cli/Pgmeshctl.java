package io.pgmesh.cli;

import io.pgmesh.cli.command.Commands;
import io.pgmesh.cli.command.Context;
import io.pgmesh.common.Version;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code pgmeshctl}: runs a pgmesh mesh. Exit status 0 on success, 1 when the operation failed
 * (the message says why and what to do), 2 for a usage error.
 */
@Command(name = "pgmeshctl", mixinStandardHelpOptions = true, versionProvider = Pgmeshctl.VersionProvider.class,
        description = {"Runs a pgmesh multi-master mesh: PostgreSQL nodes replicating through Kafka Connect.",
                "Most commands take --cluster <file>, the mesh described in YAML (see config-examples/cluster.yaml)."})
public final class Pgmeshctl implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private Pgmeshctl() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, System::getenv));
    }

    /** Runs one command; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, System::getenv);
    }

    /** Runs one command with {@code environment} as its environment variables; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err, Function<String, String> environment) {
        CommandLine line = Commands.commandLine(new Context(out, err, environment));
        line.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        line.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        line.setExecutionExceptionHandler((e, command, parsed) -> {
            if (e instanceof CliException) {
                err.println("pgmeshctl " + command.getCommandName() + ": " + e.getMessage());
                return CommandLine.ExitCode.SOFTWARE;
            }
            throw e;
        });
        if (args.length == 0) {
            line.usage(err);
            return CommandLine.ExitCode.USAGE;
        }
        return line.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The root command object (for {@link Commands}). */
    public static Pgmeshctl root() {
        return new Pgmeshctl();
    }

    /** pgmesh's version, for --version. */
    public static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"pgmeshctl " + Version.get()};
        }
    }
}
