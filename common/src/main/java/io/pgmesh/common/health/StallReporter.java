package io.pgmesh.common.health;

import io.pgmesh.common.metrics.TaskMetrics;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells what a connector's look at its progress found: a WARN when a stall starts (with what it
 * waits for), an INFO when it ends, the connector's {@code stalled} and {@code stalled-ms} gauges,
 * and a row of pgmesh.connector_health on every look.
 */
public final class StallReporter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StallReporter.class);

    private final String who;
    private final String connector;
    private final HealthReport.Kind kind;
    private final TaskMetrics metrics;
    private volatile Optional<ProgressWatch.Stalled> stall = Optional.empty();
    private boolean reportFailed;

    /**
     * @param who what the log calls the connector, e.g. "The sink of node n2 (pgmesh-sink-n2)"
     */
    public StallReporter(String who, String connector, HealthReport.Kind kind, TaskMetrics metrics) {
        this.who = who;
        this.connector = connector;
        this.kind = kind;
        this.metrics = metrics;
        metrics.gauge("stalled", "1 while the connector has work and makes no progress (see pgmeshctl status)",
                () -> stall.isPresent() ? 1 : 0);
        metrics.gauge("stalled-ms", "How long the connector has been stalled, 0 when it is not",
                () -> stall.map(s -> Math.max(0, System.currentTimeMillis() - s.sinceMs())).orElse(0L));
    }

    /**
     * Reports one look; {@code work} says what the connector has to do, for the WARN.
     *
     * @param c a connection to the node, where pgmesh.connector_health is
     */
    public void looked(Optional<ProgressWatch.Stalled> now, String work, Connection c) {
        Optional<ProgressWatch.Stalled> before = stall;
        stall = now;
        if (now.isPresent() && (before.isEmpty() || before.get().sinceMs() != now.get().sinceMs())) {
            LOG.warn("{} is stalled: {}, and nothing has moved for {} s. It waits for {}.", who, work,
                    TimeUnit.MILLISECONDS.toSeconds(System.currentTimeMillis() - now.get().sinceMs()),
                    now.get().waitingFor());
        } else if (now.isEmpty() && before.isPresent()) {
            LOG.info("{} makes progress again", who);
        }
        try {
            HealthReport.write(c, connector, kind, now);
            reportFailed = false;
        } catch (SQLException e) {
            if (!reportFailed) {
                LOG.warn("Cannot record the health of {} in pgmesh.connector_health ({}); pgmeshctl status will not show a"
                        + " stall. Grant the connector's role INSERT and UPDATE on it.", connector, e.getMessage());
                reportFailed = true;
            }
        }
    }

    @Override
    public void close() {
        metrics.close();
    }
}
