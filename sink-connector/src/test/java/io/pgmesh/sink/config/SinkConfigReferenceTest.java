package io.pgmesh.sink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgmesh.common.config.ConfigReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration/sink.md is generated from the ConfigDef. Regenerate it with
 * {@code mvn -pl sink-connector -am test -Dtest=SinkConfigReferenceTest -Dsurefire.failIfNoSpecifiedTests=false -Dpgmesh.docs.write=true}.
 */
class SinkConfigReferenceTest {

    static final Path DOC = Path.of("..", "docs", "configuration", "sink.md");

    static final String INTRODUCTION = """
            Keys of `io.pgmesh.sink.PgmeshSinkConnector`, on top of Kafka Connect's own (`name`,
            `connector.class`, `tasks.max`, converters, `errors.*`). List the peers' topics in Connect's
            `topics` key (never this node's own, and not `topics.regex`): each gets a task of its own, up to
            `tasks.max`. Set `consumer.override.isolation.level` to `read_committed`, so the sink never reads
            records of Kafka transactions that were aborted (it would still apply each source transaction
            once, but it would do needless work).
            """;

    @Test
    void theConfigurationReferenceMatchesTheConfigDef() throws IOException {
        String generated = ConfigReference.markdown("Sink connector configuration", INTRODUCTION,
                PgmeshSinkConfig.CONFIG_DEF);
        if (Boolean.getBoolean("pgmesh.docs.write")) {
            Files.writeString(DOC, generated, StandardCharsets.UTF_8);
        }
        String committed = Files.exists(DOC) ? Files.readString(DOC, StandardCharsets.UTF_8) : "";
        if (!generated.equals(committed)) {
            Path fresh = Path.of("target", "sink.md.generated");
            Files.writeString(fresh, generated, StandardCharsets.UTF_8);
            assertEquals(generated, committed, "docs/configuration/sink.md is out of date (compare with " + fresh
                    + "): regenerate it (see this test's Javadoc)");
        }
    }
}
