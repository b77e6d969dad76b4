package io.pgmesh.sink;

import io.pgmesh.common.Version;
import io.pgmesh.common.config.ConnectorValidation;
import io.pgmesh.common.health.ConnectorWatch;
import io.pgmesh.common.metrics.TaskMetrics;
import io.pgmesh.sink.config.PgmeshSinkConfig;
import io.pgmesh.sink.config.SinkPreflight;
import io.pgmesh.sink.health.SinkHealth;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the peers' topics to this node with last-update-wins. Each peer topic gets a task of its
 * own (up to {@code tasks.max}), so peers apply in parallel and one slow peer does not hold up the
 * others. With kafka.bootstrap.servers set, the connector instance also watches its tasks from
 * outside them and reports a stall ({@link SinkHealth}).
 */
public final class PgmeshSinkConnector extends SinkConnector {

    private static final Logger LOG = LoggerFactory.getLogger(PgmeshSinkConnector.class);

    /** How often the connector instance looks at its tasks' progress. */
    private static final Duration WATCH_INTERVAL = Duration.ofSeconds(15);

    private Map<String, String> props;
    private List<String> topics;
    private SinkHealth health;
    private ConnectorWatch watch;

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public void start(Map<String, String> props) {
        PgmeshSinkConfig config = new PgmeshSinkConfig(props);
        this.props = Map.copyOf(props);
        this.topics = config.topics();
        if (config.watchesTopics()) {
            health = new SinkHealth(config, TaskMetrics.of(context::pluginMetrics));
            watch = new ConnectorWatch(config.connectorName(), WATCH_INTERVAL, health);
        } else {
            LOG.info("Sink {} has no kafka.bootstrap.servers: it does not check whether its tasks stall",
                    config.connectorName());
        }
    }

    @Override
    public Class<? extends Task> taskClass() {
        return PgmeshSinkTask.class;
    }

    /** Deals the topics out round-robin over at most {@code maxTasks} tasks, each subscribing to its own. */
    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        int tasks = Math.max(1, Math.min(maxTasks, topics.size()));
        List<List<String>> dealt = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            dealt.add(new ArrayList<>());
        }
        for (int i = 0; i < topics.size(); i++) {
            dealt.get(i % tasks).add(topics.get(i));
        }
        List<Map<String, String>> configs = new ArrayList<>();
        for (List<String> own : dealt) {
            Map<String, String> task = new HashMap<>(props);
            task.put(SinkTask.TOPICS_CONFIG, String.join(",", own));
            configs.add(task);
        }
        return configs;
    }

    /** Stops the look at the tasks within a few seconds; the tasks own every other connection. */
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
        return PgmeshSinkConfig.CONFIG_DEF;
    }

    /** Each key, then the keys together, then the live server; every problem on the key to fix. */
    @Override
    public Config validate(Map<String, String> connectorConfigs) {
        Config result = super.validate(connectorConfigs);
        return ConnectorValidation.validate(result,
                () -> new PgmeshSinkConfig(connectorConfigs, false).crossFieldProblems(),
                () -> new SinkPreflight(new PgmeshSinkConfig(connectorConfigs, false)).run());
    }
}
