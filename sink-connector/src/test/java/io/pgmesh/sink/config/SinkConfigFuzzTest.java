package io.pgmesh.sink.config;

import io.pgmesh.sink.PgmeshSinkConnector;
import io.pgmesh.testkit.config.ConfigFuzzer;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Random, hostile sink configurations: answered with errors on their keys, never a crash or a password. */
class SinkConfigFuzzTest {

    @Test
    void hostileConfigurationsAreRefusedWithMessagesNeverWithACrash() {
        Map<String, String> valid = Map.of(
                "name", "sink-n1",
                "connector.class", PgmeshSinkConnector.class.getName(),
                "node.name", "n1",
                "topics", "pgmesh.n2,pgmesh.n3",
                "database.host", "127.0.0.1",
                "database.port", String.valueOf(ConfigFuzzer.closedLocalPort()),
                "database.name", "app",
                "database.user", "pgmesh",
                "database.connect.timeout.ms", "2000");
        ConfigFuzzer fuzzer = new ConfigFuzzer(PgmeshSinkConfig.CONFIG_DEF, valid, Set.of("database.password"),
                Set.of("database.host"));
        fuzzer.assertConnectorSound(20261202L, new PgmeshSinkConnector(),
                config -> new PgmeshSinkConfig(config, false).crossFieldProblems(), PgmeshSinkConfig::new);
    }
}
