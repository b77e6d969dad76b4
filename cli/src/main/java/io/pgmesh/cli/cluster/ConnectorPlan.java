package io.pgmesh.cli.cluster;

import io.pgmesh.cli.MeshTopology;
import io.pgmesh.cli.MeshTopology.Connector;
import io.pgmesh.common.config.RecommendedSettings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The connectors a cluster file describes: for every node a source ({@code pgmesh-source-<node>})
 * streaming into the node's topic and a sink ({@code pgmesh-sink-<node>}) applying every peer's
 * topic, one task per peer. Keys of the file's {@code source} and {@code sink} sections are added
 * as given; the keys pgmeshctl sets itself come last and win.
 */
public final class ConnectorPlan {

    private final ClusterFile cluster;
    private final Function<String, String> environment;

    public ConnectorPlan(ClusterFile cluster, Function<String, String> environment) {
        this.cluster = cluster;
        this.environment = environment;
    }

    public static String sourceName(NodeSpec node) {
        return "pgmesh-source-" + node.name();
    }

    public static String sinkName(NodeSpec node) {
        return "pgmesh-sink-" + node.name();
    }

    /** Every connector, sources first (a source creates its node's topic, which the sinks read). */
    public List<Connector> all() {
        List<Connector> connectors = new ArrayList<>();
        cluster.nodes().forEach(n -> connectors.add(source(n)));
        cluster.nodes().forEach(n -> connectors.add(sink(n)));
        return connectors;
    }

    public Connector source(NodeSpec node) {
        Map<String, String> config = new LinkedHashMap<>(RecommendedSettings.SOURCE_PRODUCER);
        config.putAll(cluster.sourceConfig());
        config.put("connector.class", MeshTopology.SOURCE_CLASS);
        config.put("tasks.max", "1");
        config.put("node.name", node.name().value());
        config.put("topic.prefix", cluster.topicPrefix());
        config.put("kafka.bootstrap.servers", cluster.connectKafka());
        config.putAll(database(node));
        if (cluster.exactlyOnce()) {
            config.put("exactly.once.support", "required");
            config.put("transaction.boundary", "connector");
        }
        return new Connector(sourceName(node), config);
    }

    public Connector sink(NodeSpec node) {
        List<String> topics = peers(node).stream().map(p -> cluster.topic(p.name())).toList();
        Map<String, String> config = new LinkedHashMap<>(cluster.sinkConfig());
        config.put("connector.class", MeshTopology.SINK_CLASS);
        config.put("tasks.max", Integer.toString(Math.max(1, topics.size())));
        config.put("topics", String.join(",", topics));
        config.put("node.name", node.name().value());
        config.put("topic.prefix", cluster.topicPrefix());
        config.put("replication.sets", String.join(",", cluster.replicationSets()));
        config.put("consumer.override.isolation.level", "read_committed");
        config.put("kafka.bootstrap.servers", cluster.connectKafka());
        config.putAll(database(node));
        return new Connector(sinkName(node), config);
    }

    public List<NodeSpec> peers(NodeSpec node) {
        return cluster.nodes().stream().filter(n -> !n.name().equals(node.name())).toList();
    }

    private Map<String, String> database(NodeSpec node) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("database.host", node.connectHost());
        config.put("database.port", Integer.toString(node.connectPort()));
        config.put("database.name", node.database());
        config.put("database.user", node.user());
        config.put("database.password", node.connectorPassword(environment));
        config.put("database.sslmode", node.sslMode());
        if (!node.sslRootCert().isEmpty()) {
            config.put("database.sslrootcert", node.sslRootCert());
        }
        return config;
    }

    /** {@code config} with its password shown as asterisks, unless it is a config provider reference. */
    public static Map<String, String> masked(Map<String, String> config) {
        Map<String, String> shown = new LinkedHashMap<>(config);
        shown.computeIfPresent("database.password", (k, v) -> v.startsWith("${") && v.endsWith("}") ? v : "********");
        return shown;
    }
}
