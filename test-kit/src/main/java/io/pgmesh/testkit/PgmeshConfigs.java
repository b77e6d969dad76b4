package io.pgmesh.testkit;

import io.pgmesh.common.config.RecommendedSettings;
import io.pgmesh.testkit.postgres.PostgresNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Connector configurations as a user would POST them, pointing at test-kit servers. */
public final class PgmeshConfigs {

    public static final String SOURCE_CLASS = "io.pgmesh.source.PgmeshSourceConnector";
    public static final String SINK_CLASS = "io.pgmesh.sink.PgmeshSinkConnector";

    private PgmeshConfigs() {
    }

    /**
     * A source for {@code nodeName} on {@code database} of {@code server}, as superuser, checking
     * or creating its topic through {@code bootstrapServers}.
     */
    public static Map<String, String> source(PostgresNode server, String database, String nodeName,
            String bootstrapServers) {
        Map<String, String> config = new HashMap<>();
        config.put("connector.class", SOURCE_CLASS);
        config.put("tasks.max", "1");
        config.put("node.name", nodeName);
        config.putAll(database(server, database));
        config.put("heartbeat.interval.ms", "2000");
        config.put("kafka.bootstrap.servers", bootstrapServers);
        config.put("topic.replication.factor", "1");
        config.putAll(RecommendedSettings.SOURCE_PRODUCER);
        return config;
    }

    /** A sink for {@code nodeName} on {@code database} of {@code server} applying the peers' topics, as superuser. */
    public static Map<String, String> sink(PostgresNode server, String database, String nodeName, List<String> peers) {
        Map<String, String> config = new HashMap<>();
        config.put("connector.class", SINK_CLASS);
        config.put("tasks.max", Integer.toString(Math.max(1, peers.size())));
        config.put("node.name", nodeName);
        config.put("topics", String.join(",", peers.stream().map(p -> "pgmesh." + p).toList()));
        config.putAll(database(server, database));
        config.put("consumer.override.isolation.level", "read_committed");
        config.put("retry.backoff.ms", "200");
        config.put("retry.backoff.max.ms", "2000");
        return config;
    }

    /** The database.* keys for {@code database} of {@code server}, as superuser, without TLS. */
    public static Map<String, String> database(PostgresNode server, String database) {
        return Map.of("database.host", server.host(), "database.port", Integer.toString(server.port()),
                "database.name", database, "database.user", PostgresNode.SUPERUSER,
                "database.password", server.superuserPassword(), "database.sslmode", "disable");
    }

    /** {@code source} made exactly-once, Kafka transactions that end on PostgreSQL commits. */
    public static Map<String, String> exactlyOnce(Map<String, String> source) {
        Map<String, String> config = new HashMap<>(source);
        config.put("exactly.once.support", "required");
        config.put("transaction.boundary", "connector");
        return config;
    }
}
