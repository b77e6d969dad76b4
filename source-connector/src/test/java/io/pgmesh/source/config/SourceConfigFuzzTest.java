package io.pgmesh.source.config;

import io.pgmesh.source.PgmeshSourceConnector;
import io.pgmesh.testkit.config.ConfigFuzzer;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Random, hostile source configurations: answered with errors on their keys, never a crash or a password. */
class SourceConfigFuzzTest {

    @Test
    void hostileConfigurationsAreRefusedWithMessagesNeverWithACrash() {
        Map<String, String> valid = Map.of(
                "name", "src-n1",
                "connector.class", PgmeshSourceConnector.class.getName(),
                "node.name", "n1",
                "kafka.bootstrap.servers", "127.0.0.1:" + ConfigFuzzer.closedLocalPort(),
                "database.host", "127.0.0.1",
                "database.port", String.valueOf(ConfigFuzzer.closedLocalPort()),
                "database.name", "app",
                "database.user", "pgmesh",
                "database.connect.timeout.ms", "2000");
        ConfigFuzzer fuzzer = new ConfigFuzzer(PgmeshSourceConfig.CONFIG_DEF, valid, Set.of("database.password"),
                Set.of("database.host", "kafka.bootstrap.servers"));
        fuzzer.assertConnectorSound(20261203L, new PgmeshSourceConnector(),
                config -> new PgmeshSourceConfig(config, false).crossFieldProblems(), PgmeshSourceConfig::new);
    }
}
