package io.pgmesh.common.health;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a connector instance's look at its tasks' progress (and, for a source, at transactions
 * Kafka left hanging) on a daemon thread of its own, every interval: a place that is not blocked
 * when a task is. Closing stops it within a bound, whatever the look was doing.
 */
public final class ConnectorWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectorWatch.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);

    private final ScheduledExecutorService scheduler;
    private final String name;

    public ConnectorWatch(String name, Duration interval, Runnable look) {
        this.name = name;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgmesh-watch-" + name);
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                look.run();
            } catch (RuntimeException e) {
                LOG.warn("The look of {} at its progress failed: {}", name, e.toString());
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops the thread, interrupting a look under way; returns within a few seconds. */
    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            if (!scheduler.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("The watch of {} did not stop within {}; leaving its daemon thread to end", name, CLOSE_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
