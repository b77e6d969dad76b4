package io.pgmesh.testkit.connect;

import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.ChangeKey;
import io.pgmesh.common.envelope.ChangeValue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;

/**
 * Reads a node topic the way a pgmesh sink would: committed records only, decoded with the JSON
 * converter the test workers use and Connect's default header converter.
 */
public final class NodeTopic {

    /** A record of a node topic, decoded. */
    public record Decoded(long offset, long timestamp, ChangeHeaders headers, ChangeKey key, ChangeValue value) {
    }

    private NodeTopic() {
    }

    /** Every committed record of partition 0 of {@code topic}, from the beginning to the end. */
    public static List<Decoded> readAll(String bootstrapServers, String topic) {
        JsonConverter keys = converter(true);
        JsonConverter values = converter(false);
        SimpleHeaderConverter headerConverter = new SimpleHeaderConverter();
        headerConverter.configure(Map.of());
        List<Decoded> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : readRaw(bootstrapServers, topic)) {
            ConnectHeaders headers = new ConnectHeaders();
            for (Header h : r.headers()) {
                headers.add(h.key(), headerConverter.toConnectHeader(topic, h.key(), h.value()));
            }
            SchemaAndValue key = keys.toConnectData(topic, r.key());
            SchemaAndValue value = values.toConnectData(topic, r.value());
            out.add(new Decoded(r.offset(), r.timestamp(), ChangeHeaders.readFrom(headers),
                    ChangeKey.fromConnect(key.value()), value.value() == null ? null : ChangeValue.fromConnect(value.value())));
        }
        return out;
    }

    /** Every committed raw record of partition 0 of {@code topic}. */
    public static List<ConsumerRecord<byte[], byte[]>> readRaw(String bootstrapServers, String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        TopicPartition partition = new TopicPartition(topic, 0);
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition), Duration.ofSeconds(30)).get(partition);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (consumer.position(partition, Duration.ofSeconds(30)) < end) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read " + topic + " to its end offset " + end);
                }
                consumer.poll(Duration.ofMillis(500)).forEach(out::add);
            }
        }
        return out;
    }

    private static JsonConverter converter(boolean isKey) {
        JsonConverter converter = new JsonConverter();
        converter.configure(Map.of("schemas.enable", "true"), isKey);
        return converter;
    }
}
