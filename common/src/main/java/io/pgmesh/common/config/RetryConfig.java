package io.pgmesh.common.config;

import io.pgmesh.common.retry.RetryBudget;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;

/** The {@code retry.*} keys: how both connectors retry failures that retrying can fix. */
public final class RetryConfig {

    public static final String BACKOFF_MS_CONFIG = "retry.backoff.ms";
    public static final String BACKOFF_MAX_MS_CONFIG = "retry.backoff.max.ms";
    private static final String BACKOFF_MAX_MS_DOC = "Longest wait between attempts.";
    public static final String TIMEOUT_MS_CONFIG = "retry.timeout.ms";

    private RetryConfig() {
    }

    /** @param examples the retriable failures of this connector, for the documentation */
    public static void define(ConfigDef def, String group, String examples) {
        int order = 0;
        def.define(BACKOFF_MS_CONFIG, Type.LONG, 1_000L, ConfigDef.Range.between(10L, 600_000L), Importance.LOW,
                "First wait before retrying after a retriable failure " + examples
                        + "; doubled on every further failure.", group, ++order, Width.SHORT, "Retry backoff (ms)");
        def.define(BACKOFF_MAX_MS_CONFIG, Type.LONG, 30_000L, ConfigDef.Range.between(10L, 3_600_000L),
                Importance.LOW, BACKOFF_MAX_MS_DOC, group, ++order, Width.SHORT, "Max retry backoff (ms)");
        def.define(TIMEOUT_MS_CONFIG, Type.LONG, 600_000L, ConfigDef.Range.atLeast(0L), Importance.LOW,
                "How long to keep retrying before the task fails with the last error. Nothing is lost meanwhile:"
                        + " what was not done is done after the retry or the restart.", group, ++order,
                Width.SHORT, "Retry timeout (ms)");
    }

    public static RetrySettings settings(AbstractConfig config) {
        return new RetrySettings(Duration.ofMillis(config.getLong(BACKOFF_MS_CONFIG)),
                Duration.ofMillis(config.getLong(BACKOFF_MAX_MS_CONFIG)),
                Duration.ofMillis(config.getLong(TIMEOUT_MS_CONFIG)));
    }

    /** Problems between the retry keys, by key. */
    public static Map<String, String> problems(AbstractConfig config) {
        Map<String, String> problems = new LinkedHashMap<>();
        RetrySettings retry = settings(config);
        if (retry.backoffMax().compareTo(retry.backoff()) < 0) {
            problems.put(BACKOFF_MAX_MS_CONFIG, BACKOFF_MAX_MS_CONFIG + " must be at least " + BACKOFF_MS_CONFIG);
        }
        return problems;
    }

    /** How to retry. */
    public record RetrySettings(Duration backoff, Duration backoffMax, Duration timeout) {
        public RetryBudget budget() {
            return new RetryBudget(backoff, backoffMax, timeout);
        }
    }
}
