package io.pgmesh.common.config;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigValue;

/**
 * The three layers of a connector's {@code validate()}: each key alone (already in {@code result},
 * from the ConfigDef), then the keys together, then, only when those pass, the live server. Every
 * problem is attached to the key to fix, including keys the connector does not define (Connect's
 * own, such as {@code topics}).
 */
public final class ConnectorValidation {

    private ConnectorValidation() {
    }

    public static Config validate(Config result, Supplier<Map<String, String>> crossField,
                                  Supplier<List<ConfigProblem>> live) {
        if (result.configValues().stream().anyMatch(v -> !v.errorMessages().isEmpty())) {
            return result;
        }
        Map<String, String> problems = crossField.get();
        if (!problems.isEmpty()) {
            problems.forEach((key, message) -> valueOf(result, key).addErrorMessage(message));
            return result;
        }
        for (ConfigProblem problem : live.get()) {
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
}
