package io.pgmesh.source.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgmesh.common.config.ConfigReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration/source.md is generated from the ConfigDef. Regenerate it with
 * {@code mvn -pl source-connector -am test -Dtest=SourceConfigReferenceTest -Dsurefire.failIfNoSpecifiedTests=false -Dpgmesh.docs.write=true}.
 */
class SourceConfigReferenceTest {

    static final Path DOC = Path.of("..", "docs", "configuration", "source.md");

    static final String INTRODUCTION = """
            Keys of `io.pgmesh.source.PgmeshSourceConnector`, on top of Kafka Connect's own (`name`,
            `connector.class`, `tasks.max`, converters, `exactly.once.support`, `transaction.boundary`,
            `topic.creation.*`). A node topic must have exactly one partition: set
            `topic.creation.default.partitions` to `1` or create the topic yourself. For exactly-once
            delivery with Kafka transactions that end on PostgreSQL commits, set `exactly.once.support` to
            `required` and `transaction.boundary` to `connector` on a worker with
            `exactly.once.source.support=enabled`.
            """;

    @Test
    void theConfigurationReferenceMatchesTheConfigDef() throws IOException {
        String generated = ConfigReference.markdown("Source connector configuration", INTRODUCTION,
                PgmeshSourceConfig.CONFIG_DEF);
        if (Boolean.getBoolean("pgmesh.docs.write")) {
            Files.writeString(DOC, generated, StandardCharsets.UTF_8);
        }
        String committed = Files.readString(DOC, StandardCharsets.UTF_8);
        if (!generated.equals(committed)) {
            Path fresh = Path.of("target", "source.md.generated");
            Files.writeString(fresh, generated, StandardCharsets.UTF_8);
            assertEquals(generated, committed, "docs/configuration/source.md is out of date (compare with " + fresh
                    + "): regenerate it (see this test's Javadoc)");
        }
    }
}
