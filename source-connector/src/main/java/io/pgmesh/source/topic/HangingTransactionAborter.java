package io.pgmesh.source.topic;

import io.pgmesh.source.topic.HangingTransactions.Abort;
import io.pgmesh.source.topic.HangingTransactions.Coordinator;
import io.pgmesh.source.topic.HangingTransactions.Open;
import io.pgmesh.source.topic.HangingTransactions.Refuse;
import io.pgmesh.source.topic.HangingTransactions.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeProducersResult;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds transactions of this source's own producer that Kafka left hanging on the node topic and
 * on Connect's offsets topic, and aborts those {@link HangingTransactions} says are safe to abort,
 * logging each. Runs in the connector instance, not the task: a task blocked by such a
 * transaction (in Connect's start-up, reading its offsets past it) cannot help itself.
 *
 * <p>Connect names an exactly-once source task's transactional id {@code <group.id>-<connector
 * name>-<task>}; the worker's group id is not known here, so every transactional id ending in
 * {@code -<connector name>-0} is looked at, and only transactions of the producer id its
 * coordinator reports are judged.
 */
public final class HangingTransactionAborter {

    private static final Logger LOG = LoggerFactory.getLogger(HangingTransactionAborter.class);
    private static final long CALL_TIMEOUT_S = 20;

    private final Admin admin;
    private final String connectorName;
    private final TopicPartition nodePartition;
    private final List<String> offsetsTopics;
    private final HangingTransactions judge;
    private final Set<String> reported = new HashSet<>();
    private boolean warnedMissingOffsetsTopic;
    private boolean warnedDenied;

    /**
     * @param offsetsTopics the Connect offsets topics the task's transactions write to: the worker's
     *                      and, if the connector has one, its own
     */
    public HangingTransactionAborter(Admin admin, String connectorName, String nodeTopic, List<String> offsetsTopics,
                                     Duration bound) {
        this.admin = admin;
        this.connectorName = connectorName;
        this.nodePartition = new TopicPartition(nodeTopic, 0);
        this.offsetsTopics = List.copyOf(offsetsTopics);
        this.judge = new HangingTransactions(nodeTopic, bound);
    }

    /** One look: finds, judges and aborts; failures to reach Kafka are logged and left to the next look. */
    public void look() {
        try {
            Coordinator coordinator = coordinator();
            if (coordinator == null) {
                return;
            }
            List<Open> open = openTransactions(coordinator.producerId());
            for (Verdict v : judge.judge(open, coordinator, System.currentTimeMillis())) {
                act(v);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            failed(e.getCause());
        } catch (TimeoutException | RuntimeException e) {
            failed(e);
        }
    }

    private void failed(Throwable e) {
        if (e instanceof org.apache.kafka.common.errors.AuthorizationException && !warnedDenied) {
            LOG.warn("Cannot look for transactions Kafka left hanging on {} ({}): the source connector's Kafka principal"
                    + " needs DESCRIBE on its transactional ids (<group.id>-{}-*), READ on {} and on the offsets topics"
                    + " {}, and ALTER on the cluster to abort one (docs/troubleshooting.md)", nodePartition, e.getMessage(),
                    connectorName, nodePartition.topic(), offsetsTopics);
            warnedDenied = true;
            return;
        }
        LOG.debug("Looking for hanging transactions of {} failed: {}", connectorName, e.toString());
    }

    /** The coordinator's view of the task's transactional id, or null when it has none (not exactly-once, say). */
    private Coordinator coordinator() throws InterruptedException, ExecutionException, TimeoutException {
        String suffix = "-" + connectorName + "-0";
        List<String> ids = new ArrayList<>();
        for (TransactionListing t : admin.listTransactions().all().get(CALL_TIMEOUT_S, TimeUnit.SECONDS)) {
            if (t.transactionalId().endsWith(suffix)) {
                ids.add(t.transactionalId());
            }
        }
        if (ids.size() != 1) {
            if (ids.size() > 1) {
                LOG.debug("Transactional ids {} all end in {}: not telling which is this connector's", ids, suffix);
            }
            return null;
        }
        String id = ids.get(0);
        TransactionDescription d = admin.describeTransactions(ids).description(id).get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
        return new Coordinator(id, d.producerId(), d.producerEpoch(), d.state(), d.topicPartitions());
    }

    /** The transactions {@code producerId} keeps open on the node topic and the offsets topics. */
    private List<Open> openTransactions(long producerId) throws InterruptedException, ExecutionException,
            TimeoutException {
        List<TopicPartition> partitions = new ArrayList<>(List.of(nodePartition));
        partitions.addAll(offsetsPartitions());
        DescribeProducersResult producers = admin.describeProducers(partitions);
        List<Open> open = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            List<ProducerState> states;
            try {
                states = producers.partitionResult(tp).get(CALL_TIMEOUT_S, TimeUnit.SECONDS).activeProducers();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                    continue;
                }
                throw e;
            }
            for (ProducerState p : states) {
                if (p.producerId() == producerId && p.currentTransactionStartOffset().isPresent()) {
                    open.add(new Open(tp, p.producerId(), p.producerEpoch(), p.currentTransactionStartOffset().getAsLong(),
                            p.lastTimestamp(), p.coordinatorEpoch().orElse(-1)));
                }
            }
        }
        return open;
    }

    private List<TopicPartition> offsetsPartitions() throws InterruptedException, ExecutionException, TimeoutException {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : offsetsTopics) {
            try {
                Map<String, TopicDescription> d = admin.describeTopics(List.of(topic)).allTopicNames()
                        .get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
                d.get(topic).partitions().forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException
                        || e.getCause() instanceof TopicAuthorizationException)) {
                    throw e;
                }
                if (!warnedMissingOffsetsTopic) {
                    LOG.warn("Connect offsets topic {} cannot be described ({}): transactions Kafka leaves hanging there"
                            + " cannot be found. Set worker.offset.storage.topic to the worker's offset.storage.topic and"
                            + " give the connector's principal DESCRIBE and READ on it.", topic, e.getCause().getMessage());
                    warnedMissingOffsetsTopic = true;
                }
            }
        }
        return partitions;
    }

    private void act(Verdict v) throws InterruptedException, ExecutionException, TimeoutException {
        Open o = v.open();
        if (v instanceof Abort a) {
            admin.abortTransaction(new AbortTransactionSpec(o.partition(), o.producerId(), (short) o.producerEpoch(),
                    o.coordinatorEpoch())).all().get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
            LOG.warn("Aborted the transaction of {} (producer {}, epoch {}) that Kafka left open on {} from offset {} for"
                    + " {} s. Safe because {}.", a.coordinator().transactionalId(), o.producerId(), o.producerEpoch(),
                    o.partition(), o.startOffset(), a.openFor().toSeconds(), a.why());
        } else if (v instanceof Refuse r && reported.add(o.partition() + "@" + o.startOffset())) {
            LOG.error("Kafka left the transaction of {} (producer {}, epoch {}) open on {} from offset {} for {} s, and"
                    + " pgmesh does not abort it: {}. Sinks read nothing past it until it is ended.",
                    r.coordinator().transactionalId(), o.producerId(), o.producerEpoch(), o.partition(), o.startOffset(),
                    r.openFor().toSeconds(), r.why());
        }
    }
}
