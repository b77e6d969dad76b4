package io.pgmesh.sink;

import io.pgmesh.common.Version;
import io.pgmesh.common.config.ConnectorValidation;
import io.pgmesh.sink.config.PgmeshSinkConfig;
import io.pgmesh.sink.config.SinkPreflight;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * Applies the peers' topics to this node with last-update-wins. Each peer topic gets a task of its
 * own (up to {@code tasks.max}), so peers apply in parallel and one slow peer does not hold up the
 * others.
 */
public final class PgmeshSinkConnector extends SinkConnector {

    private Map<String, String> props;
    private List<String> topics;

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public void start(Map<String, String> props) {
        PgmeshSinkConfig config = new PgmeshSinkConfig(props);
        this.props = Map.copyOf(props);
        this.topics = config.topics();
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

    @Override
    public void stop() {
        // nothing held: the tasks own every connection
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
