package io.pgmesh.cli.status;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.Operation;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;

/**
 * Reads a node topic from a sink's position to find the oldest change of the topic's owner that the
 * sink has not applied yet. Only headers are read (with Connect's default header converter), never
 * values, so any value converter works.
 */
public final class TopicBacklog implements AutoCloseable {

    /** How many records one look scans at most before it reports what it found so far. */
    static final int MAX_SCAN = 200_000;

    /** The oldest waiting change, and how far behind the end of the topic the sink is. */
    public record Backlog(Optional<ChangeHeaders> oldest, long recordsBehind) {
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final SimpleHeaderConverter headers = new SimpleHeaderConverter();

    public TopicBacklog(String bootstrapServers, Map<String, Object> clientSettings) {
        Properties props = new Properties();
        props.putAll(clientSettings);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        headers.configure(Map.of());
    }

    /**
     * The first record from {@code fromOffset} on that is a change of {@code owner} (row change,
     * DDL or truncate) committed there after {@code applied}.
     */
    public Backlog oldestUnapplied(String topic, long fromOffset, NodeName owner, Lsn applied) {
        TopicPartition tp = new TopicPartition(topic, 0);
        consumer.assign(List.of(tp));
        long end = consumer.endOffsets(List.of(tp)).get(tp);
        long start = Math.max(fromOffset, consumer.beginningOffsets(List.of(tp)).get(tp));
        long behind = Math.max(0, end - start);
        consumer.seek(tp, start);
        int scanned = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (consumer.position(tp) < end && scanned < MAX_SCAN && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                scanned++;
                ChangeHeaders h = parse(topic, r);
                if (h != null && waiting(h, owner, applied)) {
                    return new Backlog(Optional.of(h), end - r.offset());
                }
            }
        }
        return new Backlog(Optional.empty(), behind);
    }

    private static boolean waiting(ChangeHeaders h, NodeName owner, Lsn applied) {
        return h.originNode().equals(owner) && !h.snapshot() && h.op() != Operation.HEARTBEAT
                && h.op() != Operation.MESSAGE && h.originLsn().isAfter(applied);
    }

    private ChangeHeaders parse(String topic, ConsumerRecord<byte[], byte[]> r) {
        ConnectHeaders connect = new ConnectHeaders();
        for (Header h : r.headers()) {
            connect.add(h.key(), headers.toConnectHeader(topic, h.key(), h.value()));
        }
        try {
            return ChangeHeaders.readFrom(connect);
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
