package io.pgmesh.testkit.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class ConfigFuzzerTest {

    private static final Map<String, String> VALID = Map.of("count", "3", "name", "x");

    @Test
    void aValidatorThatCrashesOnAnUnparsableValueIsFound() {
        // the mistake the fuzzer found in the source's topic.replication.factor: ConfigDef hands a
        // validator null when the value does not parse
        ConfigDef def = new ConfigDef()
                .define("count", Type.INT, 1, (name, value) -> {
                    if ((Integer) value < 0) {
                        throw new ConfigException(name, value, "must not be negative");
                    }
                }, Importance.HIGH, "count")
                .define("name", Type.STRING, Importance.HIGH, "name")
                .define("password", Type.PASSWORD, "", Importance.HIGH, "password");
        List<ConfigFuzzer.Finding> findings = fuzz(def, config -> new AbstractConfig(def, config));
        assertFalse(findings.isEmpty());
        assertTrue(findings.stream().anyMatch(f -> f.error() instanceof NullPointerException), findings.toString());
    }

    @Test
    void aPasswordInAnErrorMessageAndAConfigurationClassThatCrashesAreFound() {
        ConfigDef def = new ConfigDef()
                .define("count", Type.INT, 1, Importance.HIGH, "count")
                .define("name", Type.STRING, Importance.HIGH, "name")
                .define("password", Type.PASSWORD, "", (name, value) -> {
                    String password = ((org.apache.kafka.common.config.types.Password) value).value();
                    if (!password.isEmpty()) {
                        throw new ConfigException("wrong password " + password);
                    }
                }, Importance.HIGH, "password");
        List<ConfigFuzzer.Finding> findings = fuzz(def, config -> {
            AbstractConfig parsed = new AbstractConfig(def, config);
            if (100 / parsed.getInt("count") > 50) {
                throw new ConfigException("count", parsed.getInt("count"), "too small");
            }
        });
        assertTrue(findings.stream().anyMatch(f -> f.what().contains("showed the password")), findings.toString());
        assertTrue(findings.stream().anyMatch(f -> f.error() instanceof ArithmeticException), findings.toString());
    }

    @Test
    void aCarefulConfigurationHasNoFindings() {
        ConfigDef def = new ConfigDef()
                .define("count", Type.INT, 1, ConfigDef.Range.atLeast(0), Importance.HIGH, "count")
                .define("name", Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
                        Importance.HIGH, "name")
                .define("password", Type.PASSWORD, "", Importance.HIGH, "password");
        assertEquals(List.of(), fuzz(def, config -> new AbstractConfig(def, config)));
    }

    private static List<ConfigFuzzer.Finding> fuzz(ConfigDef def, java.util.function.Consumer<Map<String, String>> parse) {
        return new ConfigFuzzer(def, VALID, Set.of("password"), Set.of()).run(7L, 300,
                config -> new Config(def.validate(config)), config -> new Config(def.validate(config)), parse);
    }
}
