package io.pgmesh.cli.cluster;

import io.pgmesh.cli.ConnectClient;
import io.pgmesh.cli.ConnectorStates;
import io.pgmesh.cli.MeshTopology.Connector;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * {@code pgmeshctl plan} and {@code apply}: compares the connectors a cluster file describes with
 * what Connect runs, and creates or updates them through the REST API, sources first (each creates
 * its node's topic before a sink subscribes to it).
 */
public final class MeshApply {

    /** What applying a connector does. */
    public enum Change { CREATE, UPDATE, UNCHANGED }

    private final ConnectClient connect;
    private final ConnectorStates states;
    private final PrintStream out;

    public MeshApply(ConnectClient connect, ConnectorStates states, PrintStream out) {
        this.connect = connect;
        this.states = states;
        this.out = out;
    }

    /** What {@code connector} would change in Connect. */
    public Change changeOf(Connector connector) {
        Map<String, String> current = connect.configIfExists(connector.name());
        if (current == null) {
            return Change.CREATE;
        }
        Map<String, String> wanted = new LinkedHashMap<>(connector.config());
        wanted.put("name", connector.name());
        Map<String, String> existing = new LinkedHashMap<>(current);
        existing.putIfAbsent("name", connector.name());
        return Objects.equals(existing, wanted) ? Change.UNCHANGED : Change.UPDATE;
    }

    /** Prints what {@link #apply} would do, with the configurations (passwords masked). */
    public void plan(List<Connector> connectors, boolean showConfig) {
        for (Connector c : connectors) {
            out.printf("%-9s %s%n", changeOf(c).name().toLowerCase(Locale.ROOT), c.name());
            if (showConfig) {
                ConnectorPlan.masked(c.config()).forEach((k, v) -> out.printf("            %s = %s%n", k, v));
            }
        }
    }

    /** Creates or updates every connector that differs, waiting for each source to run before the sinks. */
    public void apply(List<Connector> sources, List<Connector> sinks) {
        for (Connector c : sources) {
            applyOne(c);
        }
        for (Connector c : sources) {
            states.awaitRunning(c.name());
        }
        for (Connector c : sinks) {
            applyOne(c);
        }
        for (Connector c : sinks) {
            states.awaitRunning(c.name());
        }
        out.printf("%d connectors running%n", sources.size() + sinks.size());
    }

    private void applyOne(Connector c) {
        Change change = changeOf(c);
        if (change != Change.UNCHANGED) {
            connect.putConfig(c.name(), c.config());
        }
        out.printf("%-9s %s%n", change == Change.CREATE ? "created" : change == Change.UPDATE ? "updated" : "unchanged",
                c.name());
    }
}
