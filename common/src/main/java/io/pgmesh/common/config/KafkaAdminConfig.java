package io.pgmesh.common.config;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;

/**
 * The brokers a connector instance reaches with an admin client of its own (Connect gives a
 * connector none): {@code kafka.bootstrap.servers} and {@code kafka.admin.*} settings, shared by
 * both connectors.
 */
public final class KafkaAdminConfig {

    public static final String KAFKA_BOOTSTRAP_SERVERS_CONFIG = "kafka.bootstrap.servers";
    /** Prefix of Kafka admin-client settings (security, timeouts); never logged. */
    public static final String KAFKA_ADMIN_PREFIX = "kafka.admin.";
    public static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9a-fA-F:.]+\\]|[^\\s,:\\[\\]]+):[0-9]{1,5}");
    private static final String SECURITY_DOC = " Security settings for that client go in kafka.admin.* keys (for example"
            + " kafka.admin.security.protocol, kafka.admin.sasl.jaas.config); they are never logged, and a secret among"
            + " them belongs in a config provider reference.";

    private KafkaAdminConfig() {
    }

    /**
     * @param what     what the connector does with the brokers, for the documentation
     * @param required whether the key has no default (else empty: not used)
     */
    public static void define(ConfigDef def, String group, int order, String what, boolean required) {
        def.define(KAFKA_BOOTSTRAP_SERVERS_CONFIG, Type.LIST, required ? ConfigDef.NO_DEFAULT_VALUE : "",
                required ? Validators.nonEmptyListOf(HOST_PORT, "host:port") : Validators.listOf(HOST_PORT, "host:port"),
                required ? Importance.HIGH : Importance.MEDIUM, "Kafka brokers the connector's admin client uses " + what
                        + "; usually the Connect worker's own bootstrap.servers." + SECURITY_DOC, group, order, Width.LONG,
                "Kafka bootstrap servers");
    }

    /** Whether brokers are configured. */
    public static boolean configured(AbstractConfig config) {
        return !config.getList(KAFKA_BOOTSTRAP_SERVERS_CONFIG).isEmpty();
    }

    /** Settings of the connector's admin client (may hold secrets: never log them). */
    public static Map<String, Object> adminProps(AbstractConfig config, String clientId) {
        Map<String, Object> props = new HashMap<>(config.originalsWithPrefix(KAFKA_ADMIN_PREFIX));
        List<String> servers = config.getList(KAFKA_BOOTSTRAP_SERVERS_CONFIG);
        props.put("bootstrap.servers", String.join(",", servers));
        props.putIfAbsent("client.id", clientId);
        return props;
    }
}
