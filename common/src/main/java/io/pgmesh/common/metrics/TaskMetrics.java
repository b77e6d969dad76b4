package io.pgmesh.common.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A task's gauges, registered with Connect's plugin metrics (KIP-877): over JMX they are the
 * attributes of {@code kafka.connect:type=plugins,connector=<name>,task=<n>} plus the tags given.
 * On a worker older than Kafka 4.1, which has no plugin metrics, nothing is registered and the
 * task runs as before.
 */
public final class TaskMetrics implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TaskMetrics.class);

    /** How long a gauge waits for the same gauge of an earlier instance of the task to go. */
    private static final long TAKEOVER_WAIT_MS = 15_000;
    private final long takeoverWaitMs;
    private final PluginMetrics metrics;
    private final List<MetricName> registered = new ArrayList<>();
    private long takeoverDeadline = -1;
    private boolean gaveUp;

    private TaskMetrics(PluginMetrics metrics) {
        this(metrics, TAKEOVER_WAIT_MS);
    }

    TaskMetrics(PluginMetrics metrics, long takeoverWaitMs) {
        this.metrics = metrics;
        this.takeoverWaitMs = takeoverWaitMs;
    }

    /** The task context's plugin metrics, or none on a worker that has none. */
    public static TaskMetrics of(Supplier<PluginMetrics> pluginMetrics) {
        try {
            return new TaskMetrics(pluginMetrics.get());
        } catch (NoSuchMethodError | AbstractMethodError | UnsupportedOperationException e) {
            LOG.info("This Connect worker has no plugin metrics (Kafka 4.1 or later has them); pgmesh's metrics are"
                    + " not published");
            return new TaskMetrics(null);
        }
    }

    /** Metrics that go nowhere (for tests of the classes that update them). */
    public static TaskMetrics none() {
        return new TaskMetrics(null);
    }

    /** Registers a gauge read when JMX or a metrics reporter asks. */
    public void gauge(String name, String description, Map<String, String> tags, Supplier<? extends Number> value) {
        if (metrics == null) {
            return;
        }
        MetricName metricName = metrics.metricName(name, description, new LinkedHashMap<>(tags));
        while (true) {
            try {
                metrics.addMetric(metricName, (Gauge<Number>) (config, now) -> value.get());
                registered.add(metricName);
                return;
            } catch (IllegalArgumentException e) {
                // an earlier instance of this task (one Connect gave up stopping, after a broker or
                // worker outage) still holds its gauges until Connect closes it: wait for that a
                // while, then run without the gauge rather than fail the task for a metric
                if (!waitForEarlierInstance(metricName)) {
                    return;
                }
            }
        }
    }

    private boolean waitForEarlierInstance(MetricName name) {
        if (gaveUp) {
            return false;
        }
        long now = System.currentTimeMillis();
        if (takeoverDeadline < 0) {
            takeoverDeadline = now + takeoverWaitMs;
            LOG.info("Metric {} is still registered by an earlier instance of this task; waiting up to {} s for it to"
                    + " close", name.name(), takeoverWaitMs / 1000);
        }
        if (now >= takeoverDeadline) {
            gaveUp = true;
            LOG.warn("An earlier instance of this task still holds its metrics ({} and others); this instance runs"
                    + " without the ones it could not register. Restart the task to publish them.", name.name());
            return false;
        }
        try {
            Thread.sleep(250);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            gaveUp = true;
            return false;
        }
        return true;
    }

    public void gauge(String name, String description, Supplier<? extends Number> value) {
        gauge(name, description, Map.of(), value);
    }

    /** Removes every gauge this registered. */
    @Override
    public void close() {
        if (metrics == null) {
            return;
        }
        for (MetricName name : registered) {
            try {
                metrics.removeMetric(name);
            } catch (RuntimeException e) {
                LOG.debug("Removing metric {}: {}", name, e.getMessage());
            }
        }
        registered.clear();
    }
}
