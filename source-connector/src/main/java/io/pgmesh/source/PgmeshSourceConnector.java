package io.pgmesh.source;

import io.pgmesh.common.Version;
import io.pgmesh.common.config.ConfigProblem;
import io.pgmesh.source.config.PgmeshSourceConfig;
import io.pgmesh.source.database.ServerPreflight;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.source.ConnectorTransactionBoundaries;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;

/**
 * Streams one PostgreSQL node's committed changes, origin-tagged, into the node's topic. One task:
 * a node's changes form one ordered stream.
 */
public final class PgmeshSourceConnector extends SourceConnector {

    private Map<String, String> props;

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public void start(Map<String, String> props) {
        new PgmeshSourceConfig(props);
        this.props = Map.copyOf(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return PgmeshSourceTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        return List.of(props);
    }

    @Override
    public void stop() {
        // nothing held: the task owns every connection
    }

    @Override
    public ConfigDef config() {
        return PgmeshSourceConfig.CONFIG_DEF;
    }

    /**
     * Validates each key, then the keys together, then (when those pass) the live server: every
     * problem is attached to the key to fix.
     */
    @Override
    public Config validate(Map<String, String> connectorConfigs) {
        Config result = super.validate(connectorConfigs);
        if (result.configValues().stream().anyMatch(v -> !v.errorMessages().isEmpty())) {
            return result;
        }
        PgmeshSourceConfig config = new PgmeshSourceConfig(connectorConfigs, false);
        Map<String, String> crossField = config.crossFieldProblems();
        if (!crossField.isEmpty()) {
            crossField.forEach((key, message) -> valueOf(result, key).addErrorMessage(message));
            return result;
        }
        for (ConfigProblem problem : new ServerPreflight(config).run()) {
            valueOf(result, problem.key()).addErrorMessage(problem.message());
        }
        return result;
    }

    private static ConfigValue valueOf(Config config, String key) {
        return config.configValues().stream().filter(v -> v.name().equals(key)).findFirst().orElseGet(() -> {
            ConfigValue value = new ConfigValue(key);
            config.configValues().add(value);
            return value;
        });
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
