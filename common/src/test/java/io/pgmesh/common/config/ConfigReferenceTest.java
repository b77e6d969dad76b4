package io.pgmesh.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;

class ConfigReferenceTest {

    @Test
    void rendersOneTablePerGroupInDefinitionOrder() {
        ConfigDef def = new ConfigDef()
                .define("b.key", ConfigDef.Type.INT, 5, ConfigDef.Range.atLeast(1), ConfigDef.Importance.LOW,
                        "Second | piped.", "G1", 2, ConfigDef.Width.SHORT, "B")
                .define("a.key", ConfigDef.Type.STRING, ConfigDef.NO_DEFAULT_VALUE, ConfigDef.Importance.HIGH,
                        "First.", "G1", 1, ConfigDef.Width.SHORT, "A")
                .define("secret", ConfigDef.Type.PASSWORD, "", ConfigDef.Importance.HIGH, "Secret.", "G2", 1,
                        ConfigDef.Width.SHORT, "S");
        assertEquals("""
                # T

                <!-- Generated from the connector's ConfigDef; do not edit by hand. See docs/README.md. -->

                Intro.

                ## G1

                | Key | Type | Default | Valid values | Importance | Description |
                |---|---|---|---|---|---|
                | `a.key` | string | *required* |  | high | First. |
                | `b.key` | int | `5` | [1,...] | low | Second \\| piped. |

                ## G2

                | Key | Type | Default | Valid values | Importance | Description |
                |---|---|---|---|---|---|
                | `secret` | password | *empty* |  | high | Secret. |
                """, ConfigReference.markdown("T", "Intro.", def));
    }
}
