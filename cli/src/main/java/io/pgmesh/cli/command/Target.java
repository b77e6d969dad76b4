package io.pgmesh.cli.command;

import io.pgmesh.cli.ConnectClient;
import io.pgmesh.cli.cluster.ClusterFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** The options that say which mesh a command works on and how long it may wait. */
public final class Target {

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--cluster", paramLabel = "FILE", description = "The cluster file (YAML) describing the mesh.")
    Path cluster;

    @Option(names = "--connect", paramLabel = "URL",
            description = "Connect REST API, e.g. http://localhost:8083 (default: the cluster file's connect).")
    String connect;

    @Option(names = "--timeout", paramLabel = "MINUTES", defaultValue = "30",
            description = "How long to wait for each step, in minutes (default: ${DEFAULT-VALUE}).")
    void timeout(String minutes) {
        if (!minutes.matches("[1-9][0-9]{0,4}")) {
            throw new ParameterException(spec.commandLine(), "--timeout takes a whole number of minutes, 1 to 99999");
        }
        this.timeoutMinutes = Long.parseLong(minutes);
    }

    private long timeoutMinutes = 30;
    private ClusterFile loaded;

    public Duration timeout() {
        return Duration.ofMinutes(timeoutMinutes);
    }

    /** The cluster file, read once; fails when the command needs one and none was given. */
    public ClusterFile cluster() {
        if (cluster == null) {
            throw new ParameterException(spec.commandLine(), "--cluster is required");
        }
        if (loaded == null) {
            loaded = ClusterFile.read(cluster);
        }
        return loaded;
    }

    public Optional<ClusterFile> clusterIfGiven() {
        return cluster == null ? Optional.empty() : Optional.of(cluster());
    }

    /** The Connect REST API: --connect, else the cluster file's. */
    public ConnectClient connectClient() {
        if (connect != null) {
            return new ConnectClient(connect);
        }
        if (cluster == null) {
            throw new ParameterException(spec.commandLine(), "give --cluster (or --connect)");
        }
        return new ConnectClient(cluster().connect());
    }
}
