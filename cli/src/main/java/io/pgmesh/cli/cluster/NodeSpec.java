package io.pgmesh.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgmesh.cli.CliException;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.config.DatabaseConfig.DatabaseSettings;
import java.time.Duration;
import java.util.Set;
import java.util.function.Function;
import org.apache.kafka.common.config.types.Password;

/**
 * One node of a cluster file: its name and how to reach its database.
 *
 * <p>The password pgmeshctl itself connects with is {@code password} or, better, read from the
 * environment variable named by {@code passwordEnv}. The connectors get {@code connectPassword}
 * when given (a Connect config provider reference such as
 * {@code ${file:/etc/pgmesh/secrets.properties:n1}}, so that the password is never stored in
 * Connect), else the same password. Passwords never appear in pgmeshctl's output.
 *
 * <p>{@code host} and {@code port} are where pgmeshctl reaches the database; {@code connectHost}
 * and {@code connectPort} where the connectors do, when that differs (a container network).
 */
public record NodeSpec(NodeName name, String host, int port, String connectHost, int connectPort, String database,
                       String user, String password, String passwordEnv, String connectPassword, String sslMode,
                       String sslRootCert) {

    private static final Set<String> KEYS = Set.of("name", "host", "port", "connectHost", "connectPort", "database",
            "user", "password", "passwordEnv", "connectPassword", "sslmode", "sslrootcert");
    private static final Set<String> SSL_MODES = Set.of("disable", "allow", "prefer", "require", "verify-ca",
            "verify-full");

    static NodeSpec parse(JsonNode node, String where) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(where + ": expected a mapping with name, host, database and user");
        }
        ClusterFile.unknownKeys(node, KEYS, where);
        String name = ClusterFile.required(node, "name", where);
        if (!NodeName.isValid(name)) {
            throw new IllegalArgumentException(where + ": node name '" + name + "' is invalid: use 1 to 32 characters"
                    + " of lower-case letters, digits and '_'");
        }
        int port = ClusterFile.mapped(node, "port", p -> portNumber(p, where), 5432);
        String sslMode = ClusterFile.optional(node, "sslmode").orElse("prefer");
        if (!SSL_MODES.contains(sslMode)) {
            throw new IllegalArgumentException(where + ": sslmode '" + sslMode + "' is not one of " + SSL_MODES);
        }
        String password = ClusterFile.optional(node, "password").orElse(null);
        String passwordEnv = ClusterFile.optional(node, "passwordEnv").orElse(null);
        if (password != null && passwordEnv != null) {
            throw new IllegalArgumentException(where + ": give password or passwordEnv, not both");
        }
        String host = ClusterFile.required(node, "host", where);
        int connectPort = ClusterFile.mapped(node, "connectPort", p -> portNumber(p, where), port);
        return new NodeSpec(new NodeName(name), host, port, ClusterFile.optional(node, "connectHost").orElse(host),
                connectPort, ClusterFile.required(node, "database", where), ClusterFile.required(node, "user", where), password,
                passwordEnv, ClusterFile.optional(node, "connectPassword").orElse(null), sslMode,
                ClusterFile.optional(node, "sslrootcert").orElse(""));
    }

    private static int portNumber(String text, String where) {
        try {
            int port = Integer.parseInt(text);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(where + ": port '" + text + "' is not a port number (1 to 65535)");
    }

    /**
     * The password pgmeshctl connects with, read from the environment when {@code passwordEnv}
     * names a variable; empty when none is configured (trust or certificate authentication).
     */
    public String resolvedPassword(Function<String, String> environment) {
        if (passwordEnv == null) {
            return password == null ? "" : password;
        }
        String value = environment.apply(passwordEnv);
        if (value == null) {
            throw new CliException("node " + name + ": environment variable " + passwordEnv
                    + " (its passwordEnv) is not set");
        }
        return value;
    }

    /** What the connectors get in database.password. */
    public String connectorPassword(Function<String, String> environment) {
        return connectPassword != null ? connectPassword : resolvedPassword(environment);
    }

    /** How pgmeshctl connects to this node. */
    public DatabaseSettings settings(Function<String, String> environment) {
        return new DatabaseSettings(host, port, database, user, new Password(resolvedPassword(environment)), sslMode,
                sslRootCert, Duration.ofSeconds(10));
    }

    /** {@code host:port/database}, for messages. */
    public String describe() {
        return host + ":" + port + "/" + database;
    }

    @Override
    public String toString() {
        return "node " + name + " (" + describe() + ")";
    }
}
