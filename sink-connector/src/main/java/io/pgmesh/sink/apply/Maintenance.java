package io.pgmesh.sink.apply;

import io.pgmesh.sink.config.PgmeshSinkConfig;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expires old tombstones and conflict log rows, and drops the tombstones of dropped tables, every
 * few minutes, on one of the task's connections.
 */
public final class Maintenance {

    private static final Logger LOG = LoggerFactory.getLogger(Maintenance.class);
    private static final Duration EVERY = Duration.ofMinutes(5);

    private final PgmeshSinkConfig config;
    private long nextRunNanos = System.nanoTime() + EVERY.toNanos();

    public Maintenance(PgmeshSinkConfig config) {
        this.config = config;
    }

    public void maybeRun(Collection<PartitionApplier> appliers) {
        if (appliers.isEmpty() || System.nanoTime() - nextRunNanos < 0) {
            return;
        }
        nextRunNanos = System.nanoTime() + EVERY.toNanos();
        try {
            PartitionApplier any = appliers.iterator().next();
            any.maintain("DELETE FROM pgmesh.tombstones WHERE recorded_at < now() - interval '"
                    + config.tombstoneRetention().toMillis() + " milliseconds'");
            any.maintain("DELETE FROM pgmesh.conflicts WHERE logged_at < now() - interval '"
                    + config.conflictLogRetention().toMillis() + " milliseconds'");
            any.maintain("DELETE FROM pgmesh.tombstones AS t WHERE NOT EXISTS (SELECT 1 FROM pg_class AS c"
                    + " WHERE c.oid = t.relid)");
        } catch (SQLException e) {
            LOG.warn("Expiring old tombstones and conflicts failed ({}); trying again in {}", e.getMessage(), EVERY);
        }
    }
}
