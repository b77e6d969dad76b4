package io.pgmesh.cli;

import io.pgmesh.cli.MeshTopology.Connector;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * Adding a node to a running mesh and reseeding a node, through Connect's REST API.
 *
 * <p>Both rest on two properties of the mesh: a node's topic is its image (every row's latest
 * version, its peers' changes included as forwarded copies, every DDL), and a sink applies each
 * origin's transactions once, in origin order, whichever topic brings them. So a node is seeded by
 * a sink that applies every origin from one peer's topic ({@code origin.filter=all}); when it has
 * caught up, the sink switches to the normal mode and reads every peer's own topic, skipping what
 * it already has from each origin; and the peers start reading the node's topic.
 */
public final class Membership {

    private final ConnectClient connect;
    private final PrintStream out;
    private final ConnectorStates states;

    public Membership(ConnectClient connect, PrintStream out, Duration timeout) {
        this.connect = connect;
        this.out = out;
        this.states = new ConnectorStates(connect, timeout);
    }

    /**
     * Adds {@code node} to the mesh: starts its source, seeds it from {@code seed}'s topic, then
     * makes it and every peer read each other's topics.
     *
     * @param source the new node's source connector (name and configuration)
     * @param sink   the new node's sink connector; its {@code topics} are set here
     */
    public void addNode(String node, Connector source, Connector sink, String seed) {
        MeshTopology mesh = MeshTopology.of(connect.connectors());
        requireNode(node, source, "source");
        requireNode(node, sink, "sink");
        String newTopic = topicOf(node, source.config());
        boolean resuming = mesh.source(node).isPresent() || mesh.sink(node).isPresent();
        if (resuming) {
            requireNotJoined(node, newTopic, mesh);
        }
        Connector seedSource = mesh.requireSource(seed);
        List<String> peers = new ArrayList<>(mesh.sources().keySet());
        peers.remove(node);
        for (String peer : peers) {
            mesh.requireSink(peer);
        }
        out.printf("Adding node %s to the mesh of %s, seeded from %s's topic %s%n", node, peers, seed,
                seedSource.topic());
        if (resuming) {
            // an earlier add-node of this node stopped part way (a FAILED task, a timeout): go on from there
            out.printf("  node %s has connectors from an add-node that did not finish: resuming it%n", node);
            for (Connector c : List.of(source, sink)) {
                if (connect.status(c.name()) != null) {
                    connect.restartFailed(c.name());
                }
            }
        }

        connect.putConfig(source.name(), source.config());
        awaitRunning(source.name());
        out.printf("  source %s running: %s's changes go to %s%n", source.name(), node, newTopic);

        connect.putConfig(sink.name(), sinkConfig(sink.config(), List.of(seedSource.topic()), "all"));
        seedFrom(sink, seedSource);

        List<String> peerTopics = peers.stream().map(p -> mesh.requireSource(p).topic()).toList();
        connect.putConfig(sink.name(), sinkConfig(sink.config(), peerTopics, "topic_owner"));
        awaitRunning(sink.name());
        out.printf("  sink %s reads %s, each peer's own changes%n", sink.name(), peerTopics);

        for (String peer : peers) {
            Connector peerSink = mesh.requireSink(peer);
            List<String> topics = new ArrayList<>(peerSink.topics());
            if (!topics.contains(newTopic)) {
                topics.add(newTopic);
            }
            connect.putConfig(peerSink.name(), sinkConfig(connect.config(peerSink.name()), topics, "topic_owner"));
            awaitRunning(peerSink.name());
            out.printf("  sink %s of %s now reads %s too%n", peerSink.name(), peer, newTopic);
        }
        out.printf("Node %s joined: it applies every peer's changes and every peer applies its own.%n", node);
    }

    /** Refuses a node that peers already read: it is in the mesh, and adding it again would seed it anew. */
    private static void requireNotJoined(String node, String topic, MeshTopology mesh) {
        for (Map.Entry<String, Connector> e : mesh.sinks().entrySet()) {
            if (!e.getKey().equals(node) && e.getValue().topics().contains(topic)) {
                throw new CliException("node " + node + " is in the mesh already: the sink of " + e.getKey() + " reads "
                        + topic + ". To rebuild it, use reseed; to take it out, remove-node");
            }
        }
    }

    /**
     * Rebuilds {@code node}, whose database was emptied or recreated, from {@code seed}'s topic:
     * its connectors' stored positions are reset, its source starts afresh, its sink applies every
     * origin from the seed's topic, then returns to normal operation.
     */
    public void reseed(String node, String seed) {
        MeshTopology mesh = MeshTopology.of(connect.connectors());
        Connector source = mesh.requireSource(node);
        Connector sink = mesh.requireSink(node);
        Connector seedSource = mesh.requireSource(seed);
        if (seed.equals(node)) {
            throw new CliException("a node cannot be reseeded from its own topic: name a healthy peer with --seed-from");
        }
        out.printf("Reseeding node %s from %s's topic %s%n", node, seed, seedSource.topic());
        for (Connector c : List.of(sink, source)) {
            connect.stop(c.name());
            awaitState(c.name(), "STOPPED");
            connect.resetOffsets(c.name());
        }
        out.printf("  %s and %s stopped, their stored positions reset%n", source.name(), sink.name());
        connect.resume(source.name());
        awaitRunning(source.name());
        out.printf("  source %s running again%n", source.name());
        connect.putConfig(sink.name(), sinkConfig(sink.config(), List.of(seedSource.topic()), "all"));
        connect.resume(sink.name());
        seedFrom(sink, seedSource);
        connect.putConfig(sink.name(), sink.config());
        awaitRunning(sink.name());
        out.printf("Node %s reseeded; sink %s reads %s again.%n", node, sink.name(), sink.topics());
    }

    /**
     * Takes {@code node} out of the mesh in Connect: deletes its connectors and removes its topic
     * from every peer's sink (a peer sink left with no topic is deleted too: a one-node mesh
     * replicates nothing). The rows the node wrote stay on every peer.
     *
     * @return what the removal leaves to do in the databases and in Kafka
     */
    public Removal removeNode(String node) {
        MeshTopology mesh = MeshTopology.of(connect.connectors());
        Connector source = mesh.requireSource(node);
        java.util.Optional<Connector> sink = mesh.sink(node);
        String topic = source.topic();
        out.printf("Removing node %s (topic %s) from the mesh%n", node, topic);
        for (Connector c : sink.map(List::of).orElse(List.of())) {
            connect.delete(c.name());
            out.printf("  sink %s deleted%n", c.name());
        }
        connect.delete(source.name());
        out.printf("  source %s deleted%n", source.name());
        List<String> peers = new ArrayList<>();
        for (Map.Entry<String, Connector> e : mesh.sinks().entrySet()) {
            if (e.getKey().equals(node) || !e.getValue().topics().contains(topic)) {
                continue;
            }
            peers.add(e.getKey());
            Connector peerSink = e.getValue();
            List<String> topics = new ArrayList<>(peerSink.topics());
            topics.remove(topic);
            if (topics.isEmpty()) {
                connect.delete(peerSink.name());
                out.printf("  sink %s of %s deleted: it read only %s%n", peerSink.name(), e.getKey(), topic);
                continue;
            }
            Map<String, String> config = new LinkedHashMap<>(connect.config(peerSink.name()));
            config.put("topics", String.join(",", topics));
            config.put("tasks.max", Integer.toString(topics.size()));
            config.remove("name");
            connect.putConfig(peerSink.name(), config);
            awaitRunning(peerSink.name());
            out.printf("  sink %s of %s no longer reads %s%n", peerSink.name(), e.getKey(), topic);
        }
        return new Removal(node, topic, source.config().get("slot.name"), peers,
                source.config().get("kafka.bootstrap.servers"));
    }

    /**
     * What is left after the connectors of a node are gone: its slot (on the node), the
     * replication origin and progress rows each peer applied it under, its topic.
     *
     * @param slot the slot name if the source configured one, else null (the default pgmesh_node)
     */
    public record Removal(String node, String topic, String slot, List<String> peers, String bootstrapServers) {
    }

    /** Waits until {@code sink}, set to read the seed's topic with every origin, has applied what the topic holds now. */
    private void seedFrom(Connector sink, Connector seedSource) {
        String topic = seedSource.topic();
        long end = endOffset(seedSource, topic);
        awaitRunning(sink.name());
        out.printf("  sink %s applies every origin from %s: %d records to catch up with%n", sink.name(), topic, end);
        // the last record before a transaction marker is at end - 2: having applied it, the sink stands at end - 1
        long target = Math.max(0, end - 1);
        long[] lastPrinted = {System.nanoTime()};
        await("sink " + sink.name() + " caught up with " + topic, () -> {
            states.throwIfFailed(sink.name());
            OptionalLong at = connect.sinkOffset(sink.name(), topic, 0);
            if (System.nanoTime() - lastPrinted[0] > TimeUnit.SECONDS.toNanos(10)) {
                out.printf("    %s at offset %s of %d%n", sink.name(), at.isPresent() ? at.getAsLong() : "-", target);
                lastPrinted[0] = System.nanoTime();
            }
            return at.isPresent() && at.getAsLong() >= target;
        });
        out.printf("  sink %s caught up with %s%n", sink.name(), topic);
    }

    private long endOffset(Connector seedSource, String topic) {
        Map<String, Object> props = new HashMap<>();
        seedSource.config().forEach((k, v) -> {
            if (k.startsWith("kafka.admin.")) {
                props.put(k.substring("kafka.admin.".length()), v);
            }
        });
        String bootstrap = seedSource.config().get("kafka.bootstrap.servers");
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new CliException("source " + seedSource.name() + " has no kafka.bootstrap.servers: pgmeshctl reads"
                    + " the seed topic's end from the brokers the source uses");
        }
        props.put("bootstrap.servers", bootstrap);
        TopicPartition partition = new TopicPartition(topic, 0);
        try (Admin admin = Admin.create(props)) {
            return admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition)
                    .get(60, TimeUnit.SECONDS).offset();
        } catch (Exception e) {
            throw new CliException("could not read the end of topic " + topic + " from " + bootstrap + ": " + e.getMessage());
        }
    }

    private static Map<String, String> sinkConfig(Map<String, String> base, List<String> topics, String originFilter) {
        Map<String, String> config = new LinkedHashMap<>(base);
        config.put("topics", String.join(",", topics));
        config.put("origin.filter", originFilter);
        config.put("tasks.max", Integer.toString(Math.max(topics.size(),
                Integer.parseInt(base.getOrDefault("tasks.max", "1")))));
        return config;
    }

    private static String topicOf(String node, Map<String, String> sourceConfig) {
        return sourceConfig.getOrDefault("topic.prefix", "pgmesh") + "." + node;
    }

    private static void requireNode(String node, Connector c, String kind) {
        if (!node.equals(c.config().get("node.name"))) {
            throw new CliException("the " + kind + " configuration " + c.name() + " has node.name="
                    + c.config().get("node.name") + ", not " + node);
        }
        String expected = kind.equals("source") ? MeshTopology.SOURCE_CLASS : MeshTopology.SINK_CLASS;
        if (!expected.equals(c.config().get("connector.class"))) {
            throw new CliException("the " + kind + " configuration " + c.name() + " must have connector.class="
                    + expected);
        }
    }

    private void awaitRunning(String connector) {
        states.awaitRunning(connector);
    }

    private void awaitState(String connector, String state) {
        states.awaitStateWithoutTasks(connector, state);
    }

    private void await(String what, BooleanSupplier done) {
        states.await(what, done);
    }
}
