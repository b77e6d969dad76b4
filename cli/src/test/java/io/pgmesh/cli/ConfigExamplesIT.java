package io.pgmesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.schema.NodeSchema;
import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.postgres.PostgresNode;
import io.pgmesh.testkit.tls.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Every file of config-examples/ started as it is, on a cluster like the quickstart's (one broker
 * and one Connect worker, each a process of its own, the worker configured as docs/operations.md
 * says plus the FileConfigProvider the examples' README asks for): three nodes whose servers speak
 * TLS with a certificate a test authority signed, their roles made by least-privilege.sql. Only
 * what differs on this machine is put in: hosts, ports, the brokers, and where the secrets file
 * and the authority's certificate are. n2's and n3's connectors are n1's with the node names
 * changed, as the examples' README says to make them.
 */
@Timeout(900)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConfigExamplesIT {

    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final Path EXAMPLES = Path.of("..", "config-examples");
    private static final List<String> NODES = List.of("n1", "n2", "n3");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, PostgresNode> servers = new LinkedHashMap<>();
    private static final Map<String, String> sourcePasswords = new HashMap<>();
    private static ConnectCluster connect;
    private static Path work;
    private static Path ca;
    private static Path secrets;

    @BeforeAll
    static void start() throws Exception {
        work = Files.createTempDirectory("pgmesh-examples");
        TestCertificates authority = TestCertificates.authority("pgmesh examples CA");
        ca = Files.writeString(work.resolve("ca.pem"), authority.authorityPem());
        StringBuilder passwords = new StringBuilder();
        String leastPrivilege = Files.readString(EXAMPLES.resolve("least-privilege.sql"));
        for (String node : NODES) {
            TestCertificates.Pem cert = authority.server("localhost");
            PostgresNode server = PostgresNode.builder(node).tls(cert.certificate(), cert.privateKey()).start();
            servers.put(node, server);
            server.createDatabase("app");
            server.execute("app", "CREATE TABLE items (id int PRIMARY KEY, v text)");
            try (Connection c = server.connect("app")) {
                NodeSchema.bootstrap(c, new NodeName(node));
            }
            String sourcePassword = "s-" + UUID.randomUUID();
            sourcePasswords.put(node, sourcePassword);
            // least-privilege.sql as it is, with its passwords replaced, as its header says to
            server.execute("app", leastPrivilege.replace("change-me-source", sourcePassword)
                    .replace("change-me-sink", "k-" + UUID.randomUUID()));
            passwords.append(node).append(".password=").append(server.superuserPassword()).append('\n')
                    .append(node).append(".source.password=").append(sourcePassword).append('\n');
        }
        secrets = Files.writeString(work.resolve("secrets.properties"), passwords.toString());
        connect = ConnectCluster.startWithProcesses("examples", work.resolve("cluster"), 512, Map.of(
                "config.providers", "file",
                "config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider"));
    }

    @AfterAll
    static void stop() {
        Closeables.closeAll(connect);
        servers.values().forEach(Closeables::closeAll);
    }

    @Test
    @Order(1)
    void theJsonExamplesStartAsTheyAreAndMakeAWorkingMesh() throws Exception {
        for (String node : NODES) {
            create(connector("source-n1.json", node));
        }
        for (String node : NODES) {
            connect.awaitRunning("pgmesh-source-" + node, 1, WAIT);
        }
        for (String node : NODES) {
            create(connector("sink-n1.json", node));
        }
        for (String node : NODES) {
            connect.awaitRunning("pgmesh-sink-" + node, 2, WAIT);
        }
        int id = 0;
        for (String node : NODES) {
            servers.get(node).execute("app", "INSERT INTO items VALUES (" + (++id) + ", 'from " + node + "')");
        }
        for (PostgresNode server : servers.values()) {
            Awaitility.await("every node's row on " + server).atMost(WAIT).pollInterval(Duration.ofSeconds(1))
                    .until(() -> "3".equals(server.queryValue("app", "SELECT count(*) FROM items")));
        }
        assertTrue(connect.get("connectors/pgmesh-sink-n1/config").text().contains("pgmesh.n1.dlq"));
    }

    @Test
    @Order(2)
    void theAvroExamplesDifferFromTheJsonOnesOnlyInTheirConverters() throws Exception {
        // Confluent's AvroConverter and Schema Registry are not on Maven Central: the Avro files are
        // checked to be the JSON ones, which started above, but for the converter keys
        for (String kind : List.of("source", "sink")) {
            ObjectNode json = withoutConverters(JSON.readTree(EXAMPLES.resolve(kind + "-n1.json").toFile()));
            ObjectNode avro = withoutConverters(JSON.readTree(EXAMPLES.resolve(kind + "-n1-avro.json").toFile()));
            assertEquals(json, avro, kind + "-n1-avro.json differs from " + kind + "-n1.json in more than converters");
            assertEquals("io.confluent.connect.avro.AvroConverter", JSON.readTree(EXAMPLES.resolve(kind + "-n1-avro.json")
                    .toFile()).path("config").path("value.converter").asText());
        }
    }

    @Test
    @Order(3)
    void theClusterFilesDescribeThatMeshForPgmeshctl() throws Exception {
        Path cluster = localCluster("cluster.yaml");
        Result plan = pgmeshctl("plan", "--cluster", cluster.toString());
        assertEquals(0, plan.status(), plan.output());
        for (String node : NODES) {
            assertTrue(plan.output().contains("pgmesh-source-" + node) && plan.output().contains("pgmesh-sink-" + node),
                    plan.output());
        }
        Result status = pgmeshctl("status", "--cluster", cluster.toString());
        assertEquals(0, status.status(), "the mesh the JSON examples made is healthy as cluster.yaml sees it: "
                + status.output());
        Result compose = pgmeshctl("plan", "--cluster", localCluster("cluster-compose.yaml").toString());
        assertEquals(0, compose.status(), compose.output());
    }

    @SuppressWarnings("unchecked")
    private static void create(Map<String, Object> connector) {
        connect.createConnector((String) connector.get("name"), (Map<String, String>) connector.get("config"));
    }

    /** An example connector file for {@code node}, with only this machine's hosts, ports and paths put in. */
    private static Map<String, Object> connector(String file, String node) throws Exception {
        String text = renamed(Files.readString(EXAMPLES.resolve(file)), node);
        PostgresNode server = servers.get(node);
        text = text.replace("\"pg-" + node + "\"", "\"localhost\"")
                .replace("\"database.port\": \"5432\"", "\"database.port\": \"" + server.port() + "\"")
                .replace("kafka:9092", connect.bootstrapServers())
                .replace("/etc/pgmesh/secrets.properties", secrets.toString())
                .replace("/etc/pgmesh/ca.pem", ca.toString());
        JsonNode parsed = JSON.readTree(text);
        Map<String, Object> connector = new LinkedHashMap<>();
        connector.put("name", parsed.path("name").asText());
        connector.put("config", JSON.convertValue(parsed.path("config"), Map.class));
        return connector;
    }

    /** n1's file made n2's or n3's: every node name moved along n1 -> n2 -> n3 -> n1 as often as needed. */
    static String renamed(String text, String node) {
        int shift = NODES.indexOf(node);
        Matcher m = Pattern.compile("(?<![a-z0-9])n([123])(?![0-9])").matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            int n = (Integer.parseInt(m.group(1)) - 1 + shift) % 3 + 1;
            m.appendReplacement(out, "n" + n);
        }
        m.appendTail(out);
        return out.toString();
    }

    private static ObjectNode withoutConverters(JsonNode example) {
        ObjectNode config = ((ObjectNode) example.path("config")).deepCopy();
        for (Iterator<String> keys = example.path("config").fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (key.startsWith("key.converter") || key.startsWith("value.converter")) {
                config.remove(key);
            }
        }
        return config;
    }

    /** A cluster file of config-examples/ with this machine's Connect, brokers, hosts and paths put in. */
    private static Path localCluster(String file) throws Exception {
        YAMLMapper yaml = new YAMLMapper();
        ObjectNode tree = (ObjectNode) yaml.readTree(EXAMPLES.resolve(file).toFile());
        tree.put("connect", connect.restUrl());
        tree.put("kafka", connect.bootstrapServers());
        if (tree.has("connectKafka")) {
            tree.put("connectKafka", connect.bootstrapServers());
        }
        for (JsonNode n : tree.path("nodes")) {
            ObjectNode node = (ObjectNode) n;
            PostgresNode server = servers.get(node.path("name").asText());
            node.put("host", "localhost");
            node.put("port", server.port());
            node.remove("connectHost");
            node.remove("connectPort");
            if (node.has("connectPassword")) {
                node.put("connectPassword", node.path("connectPassword").asText().replace("/etc/pgmesh/secrets.properties",
                        secrets.toString()));
            }
            if (node.has("sslrootcert")) {
                node.put("sslrootcert", ca.toString());
            }
        }
        Path local = work.resolve(file);
        yaml.writeValue(local.toFile(), tree);
        return local;
    }

    private record Result(int status, String output) {
    }

    private static Result pgmeshctl(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Map<String, String> env = new HashMap<>();
        servers.forEach((node, server) -> env.put("PGMESH_" + node.toUpperCase(java.util.Locale.ROOT) + "_PASSWORD",
                server.superuserPassword()));
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        int status = Pgmeshctl.run(args, print, print, env::get);
        String output = out.toString(StandardCharsets.UTF_8);
        System.out.println("pgmeshctl " + String.join(" ", args) + " -> " + status + "\n" + output);
        return new Result(status, output);
    }
}
