package io.pgmesh.common.config;

import java.time.Duration;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;

/** When a connector that has work and makes no progress says it is stalled: shared by both connectors. */
public final class StallConfig {

    public static final String STALL_TIMEOUT_MS_CONFIG = "stall.timeout.ms";
    private static final long STALL_TIMEOUT_MS_DEFAULT = 300_000L;

    private StallConfig() {
    }

    /** @param work what counts as work and as progress for this connector, for the documentation */
    public static void define(ConfigDef def, String group, int order, String work) {
        def.define(STALL_TIMEOUT_MS_CONFIG, Type.LONG, STALL_TIMEOUT_MS_DEFAULT, ConfigDef.Range.between(1_000L,
                        86_400_000L), Importance.LOW, "How long the connector may have work (" + work + ") without"
                        + " any progress before it reports itself stalled, even while Connect shows it RUNNING: a WARN"
                        + " naming what it waits for, the connector metric stalled, and pgmeshctl status. Checked every"
                        + " 15 s by the connector instance, not by its task, which may be what is stuck.",
                group, order, Width.SHORT, "Stall timeout (ms)");
    }

    public static Duration stallTimeout(AbstractConfig config) {
        return Duration.ofMillis(config.getLong(STALL_TIMEOUT_MS_CONFIG));
    }
}
