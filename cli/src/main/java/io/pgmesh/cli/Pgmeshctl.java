package io.pgmesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgmesh.cli.MeshTopology.Connector;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code pgmeshctl}: cluster operations on a running mesh. Exit status 0 on success, 1 when the
 * operation failed (the message says why and what to do), 2 for a usage error.
 */
public final class Pgmeshctl {

    static final String USAGE = """
            usage: pgmeshctl <command> --connect <url> [options]

              add-node --node <name> --source-config <file.json> --sink-config <file.json> --seed-from <peer>
                  Adds a node to the running mesh: starts its source, seeds its database from the peer's
                  topic, then makes it read every peer's topic and every peer read its topic.
                  The files hold connector JSON as POSTed to Connect ({"name": ..., "config": {...}}).
              reseed --node <name> --seed-from <peer>
                  Rebuilds a node whose database was emptied or recreated, from the peer's topic.

            options:
              --connect <url>     Connect REST API, e.g. http://localhost:8083
              --timeout <minutes> how long to wait for each step (default 30)
            """;

    private Pgmeshctl() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || Set.of("-h", "--help", "help").contains(args[0])) {
            (args.length == 0 ? err : out).print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String command = args[0];
        Map<String, String> options;
        try {
            options = options(args);
        } catch (IllegalArgumentException e) {
            err.println("pgmeshctl: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        try {
            String timeout = options.getOrDefault("timeout", "30");
            if (!timeout.matches("[1-9][0-9]{0,4}")) {
                throw new IllegalArgumentException("--timeout takes a whole number of minutes, 1 to 99999");
            }
            Membership membership = new Membership(new ConnectClient(required(options, "connect")), out,
                    Duration.ofMinutes(Long.parseLong(timeout)));
            switch (command) {
                case "add-node" -> membership.addNode(required(options, "node"),
                        connectorFile(required(options, "source-config")), connectorFile(required(options, "sink-config")),
                        required(options, "seed-from"));
                case "reseed" -> membership.reseed(required(options, "node"), required(options, "seed-from"));
                default -> throw new IllegalArgumentException("unknown command " + command);
            }
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("pgmeshctl: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (CliException e) {
            err.println("pgmeshctl " + command + ": " + e.getMessage());
            return 1;
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 1; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --option value pairs, got '" + args[i] + "'");
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        return options;
    }

    private static String required(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return value;
    }

    /** A connector JSON file as POSTed to Connect: {"name": ..., "config": {...}}. */
    static Connector connectorFile(String file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(Path.of(file)));
        } catch (IOException e) {
            throw new CliException("cannot read connector file " + file + ": " + e.getMessage());
        }
        String name = root.path("name").asText("");
        if (name.isBlank() || !root.path("config").isObject()) {
            throw new CliException(file + " must hold {\"name\": \"...\", \"config\": {...}} as POSTed to Connect");
        }
        Map<String, String> config = new LinkedHashMap<>();
        root.path("config").fields().forEachRemaining(e -> config.put(e.getKey(), e.getValue().asText()));
        return new Connector(name, config);
    }
}
