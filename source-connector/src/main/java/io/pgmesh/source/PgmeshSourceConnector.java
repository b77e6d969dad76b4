package io.pgmesh.source;

import io.pgmesh.common.Version;
import io.pgmesh.common.config.ConnectorValidation;
import io.pgmesh.common.health.ConnectorWatch;
import io.pgmesh.common.metrics.TaskMetrics;
import io.pgmesh.source.config.PgmeshSourceConfig;
import io.pgmesh.source.topic.NodeTopicAdmin;
import io.pgmesh.source.database.ServerPreflight;
import io.pgmesh.source.health.SourceHealth;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.source.ConnectorTransactionBoundaries;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;

/**
 * Streams one PostgreSQL node's committed changes, origin-tagged, into the node's topic. One task:
 * a node's changes form one ordered stream. The connector instance itself watches the node from
 * outside the task ({@link SourceHealth}): it aborts transactions Kafka left hanging and reports a
 * stalled task.
 */
public final class PgmeshSourceConnector extends SourceConnector {

    /** How often the connector instance looks at its node: hanging transactions, a stalled task. */
    private static final Duration WATCH_INTERVAL = Duration.ofSeconds(15);

    private Map<String, String> props;
    private SourceHealth health;
    private ConnectorWatch watch;

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public void start(Map<String, String> props) {
        PgmeshSourceConfig config = new PgmeshSourceConfig(props);
        NodeTopicAdmin.ensure(config.kafkaAdminProps(), config.topicPolicy());
        this.props = Map.copyOf(props);
        String name = props.getOrDefault("name", "pgmesh-source-" + config.nodeName());
        health = new SourceHealth(config, name, TaskMetrics.of(context::pluginMetrics));
        watch = new ConnectorWatch(name, WATCH_INTERVAL, health);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return PgmeshSourceTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        return List.of(props);
    }

    /** Stops the look at the node within a few seconds; the task owns every other connection. */
    @Override
    public void stop() {
        if (watch != null) {
            watch.close();
        }
        if (health != null) {
            health.close();
        }
    }

    @Override
    public ConfigDef config() {
        return PgmeshSourceConfig.CONFIG_DEF;
    }

    /** Each key, then the keys together, then the live server; every problem on the key to fix. */
    @Override
    public Config validate(Map<String, String> connectorConfigs) {
        Config result = super.validate(connectorConfigs);
        return ConnectorValidation.validate(result,
                () -> new PgmeshSourceConfig(connectorConfigs, false).crossFieldProblems(),
                () -> new ServerPreflight(new PgmeshSourceConfig(connectorConfigs, false)).run());
    }

    @Override
    public ExactlyOnceSupport exactlyOnceSupport(Map<String, String> connectorConfig) {
        return ExactlyOnceSupport.SUPPORTED;
    }

    @Override
    public ConnectorTransactionBoundaries canDefineTransactionBoundaries(Map<String, String> connectorConfig) {
        return ConnectorTransactionBoundaries.SUPPORTED;
    }
}
