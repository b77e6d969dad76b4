package io.pgmesh.cli;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The mesh as Connect runs it: every pgmesh source and sink connector, by the node it serves
 * ({@code node.name}).
 */
public record MeshTopology(Map<String, Connector> sources, Map<String, Connector> sinks) {

    public static final String SOURCE_CLASS = "io.pgmesh.source.PgmeshSourceConnector";
    public static final String SINK_CLASS = "io.pgmesh.sink.PgmeshSinkConnector";

    /** One connector: its name in Connect and its configuration. */
    public record Connector(String name, Map<String, String> config) {

        /** The node topic of a source connector: {@code <topic.prefix>.<node.name>}. */
        public String topic() {
            return config.getOrDefault("topic.prefix", "pgmesh") + "." + config.get("node.name");
        }

        /** The topics a sink connector reads. */
        public List<String> topics() {
            String topics = config.getOrDefault("topics", "");
            return topics.isBlank() ? List.of() : List.of(topics.trim().split("\\s*,\\s*"));
        }
    }

    public MeshTopology {
        sources = Map.copyOf(sources);
        sinks = Map.copyOf(sinks);
    }

    /** The mesh found in {@code connectors} (name to configuration); refuses two connectors of one kind for a node. */
    public static MeshTopology of(Map<String, Map<String, String>> connectors) {
        Map<String, Connector> sources = new TreeMap<>();
        Map<String, Connector> sinks = new TreeMap<>();
        connectors.forEach((name, config) -> {
            String node = config.get("node.name");
            Map<String, Connector> kind = SOURCE_CLASS.equals(config.get("connector.class")) ? sources
                    : SINK_CLASS.equals(config.get("connector.class")) ? sinks : null;
            if (kind == null || node == null) {
                return;
            }
            Connector previous = kind.put(node, new Connector(name, config));
            if (previous != null) {
                throw new CliException("node " + node + " has two " + (kind == sources ? "source" : "sink")
                        + " connectors, " + previous.name() + " and " + name + ": delete the one that is not in use");
            }
        });
        return new MeshTopology(sources, sinks);
    }

    public Optional<Connector> source(String node) {
        return Optional.ofNullable(sources.get(node));
    }

    public Optional<Connector> sink(String node) {
        return Optional.ofNullable(sinks.get(node));
    }

    public Connector requireSource(String node) {
        return source(node).orElseThrow(() -> new CliException("node " + node + " has no pgmesh source connector in"
                + " this Connect cluster (nodes with one: " + sources.keySet() + ")"));
    }

    public Connector requireSink(String node) {
        return sink(node).orElseThrow(() -> new CliException("node " + node + " has no pgmesh sink connector in"
                + " this Connect cluster (nodes with one: " + sinks.keySet() + ")"));
    }
}
