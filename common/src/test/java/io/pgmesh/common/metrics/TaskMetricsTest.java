package io.pgmesh.common.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.junit.jupiter.api.Test;

/** Gauges on Kafka's own plugin metrics, when an earlier instance of the task still holds them. */
class TaskMetricsTest {

    private static final Map<String, String> TASK = Map.of("connector", "sink-n1", "task", "0");

    @Test
    void aNewInstanceTakesTheGaugeOverOnceTheEarlierOneCloses() throws Exception {
        try (Metrics registry = new Metrics()) {
            TaskMetrics earlier = new TaskMetrics(new PluginMetricsImpl(registry, TASK), 10_000);
            earlier.gauge("applied-rows-total", "rows", () -> 1);
            TaskMetrics later = new TaskMetrics(new PluginMetricsImpl(registry, TASK), 10_000);
            CompletableFuture<Void> registering = CompletableFuture.runAsync(() ->
                    later.gauge("applied-rows-total", "rows", () -> 2));
            Thread.sleep(500);
            earlier.close();
            registering.get(10, TimeUnit.SECONDS);
            assertEquals(2, value(registry));
        }
    }

    @Test
    void aTaskRunsWithoutTheGaugeWhenTheEarlierInstanceNeverCloses() {
        try (Metrics registry = new Metrics()) {
            TaskMetrics earlier = new TaskMetrics(new PluginMetricsImpl(registry, TASK), 10_000);
            earlier.gauge("applied-rows-total", "rows", () -> 1);
            earlier.gauge("conflicts-total", "conflicts", () -> 1);
            TaskMetrics later = new TaskMetrics(new PluginMetricsImpl(registry, TASK), 300);
            later.gauge("applied-rows-total", "rows", () -> 2);
            long start = System.nanoTime();
            later.gauge("conflicts-total", "conflicts", () -> 3);
            later.gauge("discarded-changes-total", "discarded", () -> 4);
            assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(200), "no second wait once given up");
            assertEquals(1, value(registry), "the earlier instance's gauge is left alone");
            assertEquals(4, metric(registry, "discarded-changes-total").metricValue(), "gauges nobody holds register");
        }
    }

    private static Object value(Metrics registry) {
        return metric(registry, "applied-rows-total").metricValue();
    }

    private static KafkaMetric metric(Metrics registry, String name) {
        for (Map.Entry<MetricName, KafkaMetric> e : registry.metrics().entrySet()) {
            if (e.getKey().name().equals(name)) {
                return e.getValue();
            }
        }
        return null;
    }
}
