package io.pgmesh.cli.command;

import java.io.PrintStream;
import java.util.function.Function;

/**
 * What every command writes to and reads its secrets from.
 *
 * @param environment environment variables by name (the process's, or a test's)
 */
public record Context(PrintStream out, PrintStream err, Function<String, String> environment) {
}
