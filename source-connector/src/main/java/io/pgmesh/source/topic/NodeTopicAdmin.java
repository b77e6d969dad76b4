package io.pgmesh.source.topic;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates a node topic by its policy, or checks an existing one against it. */
public final class NodeTopicAdmin {

    private static final Logger LOG = LoggerFactory.getLogger(NodeTopicAdmin.class);
    private static final long TIMEOUT_S = 60;

    private NodeTopicAdmin() {
    }

    /**
     * Makes sure the policy's topic exists as the policy says.
     *
     * @param adminProps Kafka admin client properties (bootstrap servers, security); never logged
     * @throws ConnectException naming what is wrong and how to fix it
     */
    public static void ensure(Map<String, Object> adminProps, NodeTopicPolicy policy) {
        try (Admin admin = Admin.create(adminProps)) {
            Optional<TopicDescription> existing = describe(admin, policy.topic());
            if (existing.isEmpty()) {
                try {
                    NewTopic topic = new NewTopic(policy.topic(), Optional.of(1),
                            Optional.of(policy.replicationFactor())).configs(policy.configs());
                    admin.createTopics(List.of(topic)).all().get(TIMEOUT_S, TimeUnit.SECONDS);
                    LOG.info("Created node topic {} (1 partition, {})", policy.topic(), policy.configs());
                    return;
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw failure("create topic " + policy.topic(), e.getCause());
                    }
                    existing = describe(admin, policy.topic());
                }
            }
            int partitions = existing.orElseThrow().partitions().size();
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, policy.topic());
            Config config = admin.describeConfigs(List.of(resource)).all().get(TIMEOUT_S, TimeUnit.SECONDS)
                    .get(resource);
            ConfigEntry cleanup = config.get("cleanup.policy");
            List<String> problems = policy.problems(partitions, cleanup == null ? null : cleanup.value());
            if (!problems.isEmpty()) {
                throw new ConnectException(String.join("; ", problems) + ".");
            }
            LOG.info("Node topic {} exists, compacted, one partition", policy.topic());
        } catch (ExecutionException e) {
            throw failure("describe topic " + policy.topic(), e.getCause());
        } catch (TimeoutException e) {
            throw failure("reach Kafka to check topic " + policy.topic() + " within " + TIMEOUT_S + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("interrupted while checking topic " + policy.topic(), e);
        }
    }

    private static Optional<TopicDescription> describe(Admin admin, String topic)
            throws InterruptedException, TimeoutException, ExecutionException {
        try {
            return Optional.of(admin.describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS)
                    .get(topic));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private static ConnectException failure(String what, Throwable cause) {
        return new ConnectException("Could not " + what + ": " + cause.getMessage() + ". Check kafka.bootstrap.servers"
                + " and the kafka.admin.* settings (security), and that the connector's principal may describe and"
                + " create topics (or create the topic yourself, compacted, with one partition).", cause);
    }
}
