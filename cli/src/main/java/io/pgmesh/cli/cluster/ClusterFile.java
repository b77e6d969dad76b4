package io.pgmesh.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pgmesh.cli.CliException;
import io.pgmesh.common.NodeName;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * A mesh described in one YAML file: where Connect and Kafka are, the nodes with their databases,
 * and the settings every source and sink shares. See config-examples/cluster.yaml.
 *
 * @param connect         the Connect REST API, e.g. http://localhost:8083
 * @param kafka           the brokers, as pgmeshctl reaches them
 * @param connectKafka    the brokers as the Connect workers reach them, when that differs (in a
 *                        container network, say); else {@code kafka}
 * @param topicPrefix     node topics are {@code <prefix>.<node>}
 * @param replicationSets the sets every sink applies
 * @param exactlyOnce     whether sources run exactly-once, Kafka transactions ending on PostgreSQL commits
 * @param sourceConfig    more keys for every source (converters, producer settings, ...)
 * @param sinkConfig      more keys for every sink
 * @param nodes           the nodes, in the file's order
 */
public record ClusterFile(String connect, String kafka, String connectKafka, String topicPrefix,
                          List<String> replicationSets,
                          boolean exactlyOnce, Map<String, String> sourceConfig, Map<String, String> sinkConfig,
                          List<NodeSpec> nodes) {

    public static final List<String> DEFAULT_SETS = List.of("default", "default_insert_only", "ddl_sql");
    private static final Set<String> TOP_LEVEL = Set.of("connect", "kafka", "connectKafka", "topicPrefix",
            "replicationSets",
            "exactlyOnce", "source", "sink", "nodes");

    public ClusterFile {
        replicationSets = List.copyOf(replicationSets);
        sourceConfig = Map.copyOf(sourceConfig);
        sinkConfig = Map.copyOf(sinkConfig);
        nodes = List.copyOf(nodes);
    }

    /** Reads and checks a cluster file; every problem names the file and the field. */
    public static ClusterFile read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new CliException("cannot read cluster file " + file + ": " + e.getMessage());
        }
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(text);
        } catch (IOException e) {
            throw new CliException(file + " is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        try {
            return parse(root);
        } catch (IllegalArgumentException e) {
            throw new CliException(file + ": " + e.getMessage());
        }
    }

    static ClusterFile parse(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("expected a mapping with connect, kafka and nodes");
        }
        unknownKeys(root, TOP_LEVEL, "");
        String connect = url(required(root, "connect", ""), "connect");
        String kafka = required(root, "kafka", "");
        String connectKafka = optional(root, "connectKafka").orElse(kafka);
        String prefix = optional(root, "topicPrefix").orElse("pgmesh");
        if (!prefix.matches("[A-Za-z0-9._-]{1,200}")) {
            throw new IllegalArgumentException("topicPrefix '" + prefix + "' is not a valid Kafka topic name part");
        }
        List<String> sets = root.has("replicationSets") ? strings(root.get("replicationSets"), "replicationSets")
                : DEFAULT_SETS;
        boolean exactlyOnce = !root.has("exactlyOnce") || bool(root.get("exactlyOnce"), "exactlyOnce");
        Map<String, String> source = stringMap(root.get("source"), "source");
        Map<String, String> sink = stringMap(root.get("sink"), "sink");
        JsonNode nodesNode = root.get("nodes");
        if (nodesNode == null || !nodesNode.isArray() || nodesNode.isEmpty()) {
            throw new IllegalArgumentException("nodes: expected a list of at least one node");
        }
        List<NodeSpec> nodes = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < nodesNode.size(); i++) {
            NodeSpec node = NodeSpec.parse(nodesNode.get(i), "nodes[" + i + "]");
            if (!names.add(node.name().value())) {
                throw new IllegalArgumentException("nodes[" + i + "]: node " + node.name() + " appears twice");
            }
            nodes.add(node);
        }
        return new ClusterFile(connect, kafka, connectKafka, prefix, sets, exactlyOnce, source, sink, nodes);
    }

    /** The node of that name. */
    public NodeSpec node(String name) {
        return nodes.stream().filter(n -> n.name().value().equals(name)).findFirst()
                .orElseThrow(() -> new CliException("node " + name + " is not in the cluster file (nodes: "
                        + nodes.stream().map(n -> n.name().value()).toList() + ")"));
    }

    /** The node topic of {@code node}. */
    public String topic(NodeName node) {
        return topicPrefix + "." + node.value();
    }

    static void unknownKeys(JsonNode node, Set<String> known, String where) {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!known.contains(name)) {
                throw new IllegalArgumentException(where + (where.isEmpty() ? "" : ": ") + "unknown key '" + name
                        + "' (known: " + known.stream().sorted().toList() + ")");
            }
        }
    }

    static String required(JsonNode node, String key, String where) {
        return optional(node, key).orElseThrow(() -> new IllegalArgumentException(
                (where.isEmpty() ? "" : where + ": ") + key + " is required"));
    }

    static Optional<String> optional(JsonNode node, String key) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isValueNode() || value.asText().isBlank()) {
            throw new IllegalArgumentException(key + ": expected a value");
        }
        return Optional.of(value.asText());
    }

    private static String url(String value, String key) {
        try {
            URI uri = URI.create(value);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException(key + ": expected an http(s) URL, got '" + value + "'");
            }
            return value;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": expected an http(s) URL, got '" + value + "'");
        }
    }

    private static boolean bool(JsonNode value, String key) {
        if (!value.isBoolean()) {
            throw new IllegalArgumentException(key + ": expected true or false");
        }
        return value.asBoolean();
    }

    private static List<String> strings(JsonNode value, String key) {
        if (!value.isArray() || value.isEmpty()) {
            throw new IllegalArgumentException(key + ": expected a list of names");
        }
        List<String> list = new ArrayList<>();
        value.forEach(v -> list.add(v.asText()));
        return list;
    }

    private static Map<String, String> stringMap(JsonNode value, String key) {
        if (value == null || value.isNull()) {
            return Map.of();
        }
        if (!value.isObject()) {
            throw new IllegalArgumentException(key + ": expected a mapping of connector configuration keys");
        }
        Map<String, String> map = new LinkedHashMap<>();
        value.fields().forEachRemaining(e -> {
            if (!e.getValue().isValueNode()) {
                throw new IllegalArgumentException(key + "." + e.getKey() + ": expected a single value");
            }
            map.put(e.getKey(), e.getValue().asText());
        });
        return map;
    }

    /** Node names, for messages. */
    public List<String> nodeNames() {
        return nodes.stream().map(n -> n.name().value()).toList();
    }

    static <T> T mapped(JsonNode node, String key, Function<String, T> f, T otherwise) {
        return optional(node, key).map(f).orElse(otherwise);
    }
}
