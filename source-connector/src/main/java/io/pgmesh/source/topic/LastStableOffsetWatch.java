package io.pgmesh.source.topic;

import io.pgmesh.common.Lsn;
import io.pgmesh.source.capture.VisibleConfirmations;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks at the node topic's last stable offset every second and confirms on the slot what has
 * become readable to the sinks ({@link VisibleConfirmations}). Warns when the partition keeps a
 * transaction open long after the worker committed past it: a hanging transaction, which holds
 * the sinks back until it is aborted ({@link HangingTransactionAborter} does that for the task's
 * own; docs/troubleshooting.md).
 */
public final class LastStableOffsetWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LastStableOffsetWatch.class);
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    /** Longer than a producer's default transaction timeout (60 s), after which Kafka aborts by itself. */
    private static final Duration HANGING_AFTER = Duration.ofMinutes(3);
    private static final Duration WARN_FAILURES_AFTER = Duration.ofMinutes(1);

    private final TopicPartition partition;
    private final VisibleConfirmations confirmations;
    private final Consumer<Lsn> confirm;
    private final Admin admin;
    private final ScheduledExecutorService scheduler;
    private long lastLso = -1;
    private long lsoSinceNanos = System.nanoTime();
    private long failingSinceNanos = -1;
    private boolean warnedHanging;
    private boolean warnedFailing;

    /**
     * @param adminProps Kafka admin client properties (never logged)
     * @param confirm    asks the stream to confirm the slot up to an LSN
     */
    public LastStableOffsetWatch(Map<String, Object> adminProps, String topic, VisibleConfirmations confirmations,
                                 Consumer<Lsn> confirm) {
        this.partition = new TopicPartition(topic, 0);
        this.confirmations = confirmations;
        this.confirm = confirm;
        this.admin = Admin.create(adminProps);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgmesh-lso-" + topic);
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::look, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void look() {
        long lso;
        try {
            lso = admin.listOffsets(Map.of(partition, OffsetSpec.latest()),
                    new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).partitionResult(partition)
                    .get(30, TimeUnit.SECONDS).offset();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            long now = System.nanoTime();
            if (failingSinceNanos < 0) {
                failingSinceNanos = now;
            }
            if (!warnedFailing && now - failingSinceNanos >= WARN_FAILURES_AFTER.toNanos()) {
                LOG.warn("Cannot read the last stable offset of {} for {} s ({}): the slot is not confirmed past what"
                        + " the sinks can read, so it retains WAL until this works again. The source's Kafka principal"
                        + " needs DESCRIBE on the topic.", partition, WARN_FAILURES_AFTER.toSeconds(), e.toString());
                warnedFailing = true;
            }
            return;
        }
        failingSinceNanos = -1;
        warnedFailing = false;
        confirm.accept(confirmations.visible(lso));
        long now = System.nanoTime();
        if (lso != lastLso) {
            if (warnedHanging) {
                LOG.info("{} is readable again from offset {}: the slot is confirmed again", partition, lso);
            }
            lastLso = lso;
            lsoSinceNanos = now;
            warnedHanging = false;
            return;
        }
        long waitingFor = confirmations.waitingFor();
        if (!warnedHanging && waitingFor >= lso && now - lsoSinceNanos >= HANGING_AFTER.toNanos()) {
            LOG.warn("{} has kept a transaction open at offset {} for {} s although the worker committed records up to"
                    + " offset {}: Kafka may have left a transaction hanging (seen after broker restarts). Sinks read"
                    + " nothing past it. If it is this task's own, the source connector aborts it once it is"
                    + " hanging.transaction.timeout.ms old and its coordinator holds no live transaction for it (its log"
                    + " says so); a transaction of another producer is not pgmesh's to abort (docs/troubleshooting.md,"
                    + " 'The Kafka broker was restarted'). The slot is not confirmed past it, so what an abort removes is"
                    + " streamed again.", partition, lso, TimeUnit.NANOSECONDS.toSeconds(now - lsoSinceNanos), waitingFor);
            warnedHanging = true;
        }
    }

    /** Stops within about a second: the look under way is interrupted, requests in flight are dropped. */
    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ZERO);
    }
}
