package io.pgmesh.common.topic;

import io.pgmesh.common.topic.HangingTransactions.Abort;
import io.pgmesh.common.topic.HangingTransactions.Coordinator;
import io.pgmesh.common.topic.HangingTransactions.Open;
import io.pgmesh.common.topic.HangingTransactions.Refuse;
import io.pgmesh.common.topic.HangingTransactions.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds transactions Kafka left hanging on node topics and on Connect's offsets topic, and aborts
 * those {@link HangingTransactions} says are safe to abort, logging each. Both connector instances
 * run it, never a task: a source connector for its own node topic, a sink connector for its
 * peers' topics. The sinks matter most: after a broker restart Connect's start-up of an
 * exactly-once source task, and of the source connector instance too, reads the offsets topic to
 * its end and so waits behind the very transaction, while the sinks' connector instances run on.
 * Several sinks may abort the same transaction; the second abort finds it ended.
 *
 * <p>The producers judged are those that wrote to the node topics lately (Kafka keeps their state
 * on the partition for {@code producer.id.expiration.ms}), and, for a source, its own task's (its
 * transactional id ends in {@code -<connector name>-0}; Connect's group id is not known here):
 * their transactions are judged wherever they are open, the offsets topic included.
 */
public final class HangingTransactionAborter {

    private static final Logger LOG = LoggerFactory.getLogger(HangingTransactionAborter.class);
    private static final long CALL_TIMEOUT_S = 20;

    private final Admin admin;
    private final String who;
    private final List<TopicPartition> recordPartitions;
    private final List<String> offsetsTopics;
    private final String ownConnector;
    private final HangingTransactions judge;
    private final Set<String> reported = new HashSet<>();
    private boolean warnedMissingOffsetsTopic;
    private boolean warnedDenied;

    /**
     * @param who           what the log calls the connector looking
     * @param recordTopics  the node topics to look at (partition 0 each)
     * @param offsetsTopics the Connect offsets topics the sources' transactions write to
     * @param ownConnector  for a source, its connector name (its own task's producer is judged even
     *                      when its transaction is open on the offsets topic only); else null
     */
    public HangingTransactionAborter(Admin admin, String who, List<String> recordTopics, List<String> offsetsTopics,
                                     String ownConnector, Duration bound) {
        this.admin = admin;
        this.who = who;
        this.recordPartitions = recordTopics.stream().map(t -> new TopicPartition(t, 0)).toList();
        this.offsetsTopics = List.copyOf(offsetsTopics);
        this.ownConnector = ownConnector;
        this.judge = new HangingTransactions(Set.copyOf(recordTopics), bound);
    }

    /** One look: finds, judges and aborts; failures to reach Kafka are logged and left to the next look. */
    public void look() {
        try {
            Set<Long> producers = new HashSet<>();
            List<Open> open = openTransactions(producers);
            Map<Long, Coordinator> coordinators = coordinators(producers);
            if (coordinators.isEmpty()) {
                judge.judge(List.of(), Map.of(), System.currentTimeMillis());
                return;
            }
            for (Verdict v : judge.judge(open, coordinators, System.currentTimeMillis())) {
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
        if (e instanceof AuthorizationException && !warnedDenied) {
            LOG.warn("{} cannot look for transactions Kafka left hanging on {} ({}): its Kafka principal needs DESCRIBE"
                    + " on transactional ids, READ on those topics and on the offsets topics {}, and ALTER on the cluster"
                    + " to abort one (docs/troubleshooting.md)", who, recordPartitions, e.getMessage(), offsetsTopics);
            warnedDenied = true;
            return;
        }
        LOG.debug("{}: looking for hanging transactions failed: {}", who, e.toString());
    }

    /**
     * Every transaction the node topics and the offsets topics keep open now; adds to {@code
     * writers} every producer the node topics know (those that wrote to them lately, a
     * transaction open or not: a source's may hang on the offsets topic alone).
     */
    private List<Open> openTransactions(Set<Long> writers) throws InterruptedException, ExecutionException,
            TimeoutException {
        List<TopicPartition> partitions = new ArrayList<>(recordPartitions);
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
                if (recordPartitions.contains(tp)) {
                    writers.add(p.producerId());
                }
                if (p.currentTransactionStartOffset().isPresent()) {
                    open.add(new Open(tp, p.producerId(), p.producerEpoch(), p.currentTransactionStartOffset().getAsLong(),
                            p.lastTimestamp(), p.coordinatorEpoch().orElse(-1)));
                }
            }
        }
        return open;
    }

    /** What the coordinators say of {@code producers}, and of this source's own task's producer. */
    private Map<Long, Coordinator> coordinators(Set<Long> producers)
            throws InterruptedException, ExecutionException, TimeoutException {
        List<String> ids = new ArrayList<>();
        if (!producers.isEmpty()) {
            for (TransactionListing t : admin.listTransactions(new ListTransactionsOptions().filterProducerIds(producers))
                    .all().get(CALL_TIMEOUT_S, TimeUnit.SECONDS)) {
                ids.add(t.transactionalId());
            }
        }
        if (ownConnector != null) {
            String suffix = "-" + ownConnector + "-0";
            List<String> own = new ArrayList<>();
            for (TransactionListing t : admin.listTransactions().all().get(CALL_TIMEOUT_S, TimeUnit.SECONDS)) {
                if (t.transactionalId().endsWith(suffix)) {
                    own.add(t.transactionalId());
                }
            }
            if (own.size() == 1 && !ids.contains(own.get(0))) {
                ids.add(own.get(0));
            }
        }
        Map<Long, Coordinator> coordinators = new HashMap<>();
        if (ids.isEmpty()) {
            return coordinators;
        }
        Map<String, TransactionDescription> described = admin.describeTransactions(ids).all()
                .get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
        described.forEach((id, d) -> coordinators.put(d.producerId(), new Coordinator(id, d.producerId(),
                d.producerEpoch(), d.state(), d.topicPartitions())));
        return coordinators;
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
                    LOG.warn("{}: Connect offsets topic {} cannot be described ({}): transactions Kafka leaves hanging"
                            + " there cannot be found. Set worker.offset.storage.topic to the workers'"
                            + " offset.storage.topic and give the connector's principal DESCRIBE and READ on it.", who,
                            topic, e.getCause().getMessage());
                    warnedMissingOffsetsTopic = true;
                }
            }
        }
        return partitions;
    }

    private void act(Verdict v) throws InterruptedException, TimeoutException {
        Open o = v.open();
        if (v instanceof Abort a) {
            try {
                admin.abortTransaction(new AbortTransactionSpec(o.partition(), o.producerId(), (short) o.producerEpoch(),
                        o.coordinatorEpoch())).all().get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                LOG.debug("{}: aborting the transaction on {} from offset {} failed (another connector may have aborted it"
                        + " first): {}", who, o.partition(), o.startOffset(), e.getCause().toString());
                return;
            }
            LOG.warn("{} aborted the transaction of {} (producer {}, epoch {}) that Kafka left open on {} from offset {}"
                    + " for {} s. Safe because {}.", who, a.coordinator().transactionalId(), o.producerId(),
                    o.producerEpoch(), o.partition(), o.startOffset(), a.openFor().toSeconds(), a.why());
        } else if (v instanceof Refuse r && reported.add(o.partition() + "@" + o.startOffset())) {
            LOG.error("Kafka left the transaction of {} (producer {}, epoch {}) open on {} from offset {} for {} s, and"
                    + " pgmesh does not abort it: {}. Read_committed readers read nothing past it until it ends.",
                    r.coordinator().transactionalId(), o.producerId(), o.producerEpoch(), o.partition(), o.startOffset(),
                    r.openFor().toSeconds(), r.why());
        }
    }
}
