package io.pgmesh.sink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.testkit.Closeables;
import io.pgmesh.testkit.PgmeshConfigs;
import io.pgmesh.testkit.connect.ConnectCluster;
import io.pgmesh.testkit.postgres.PostgresNode;
import io.pgmesh.testkit.tls.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Two nodes whose servers speak TLS with a certificate made here by a test authority; the
 * connectors connect with sslmode=verify-full against that authority and read their passwords
 * through Connect's FileConfigProvider. The mesh replicates over TLS; a server certificate from
 * another authority is refused; and no password is in the worker's log or in any REST answer.
 */
@Timeout(600)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecurityIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String DB = "app";
    private static final List<String> NODES = List.of("n1", "n2");
    private static final Map<String, PostgresNode> servers = new LinkedHashMap<>();
    private static ConnectCluster connect;
    private static Path work;
    private static Path ca;
    private static Path otherCa;
    private static Path secrets;

    @BeforeAll
    static void start() throws Exception {
        work = Files.createTempDirectory("pgmesh-security");
        TestCertificates authority = TestCertificates.authority("pgmesh test CA");
        ca = Files.writeString(work.resolve("ca.pem"), authority.authorityPem());
        otherCa = Files.writeString(work.resolve("other-ca.pem"), TestCertificates.authority("another CA").authorityPem());
        StringBuilder passwords = new StringBuilder();
        for (String node : NODES) {
            TestCertificates.Pem cert = authority.server("localhost");
            PostgresNode server = PostgresNode.builder(node).tls(cert.certificate(), cert.privateKey()).start();
            servers.put(node, server);
            server.createDatabase(DB);
            server.execute(DB, "CREATE TABLE t (id int PRIMARY KEY, v text)");
            passwords.append(node).append(".password=").append(server.superuserPassword()).append('\n');
        }
        secrets = Files.writeString(work.resolve("secrets.properties"), passwords.toString());
        connect = ConnectCluster.startWithWorkerProcess("security", work.resolve("worker"), 512, Map.of(
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
    void theMeshReplicatesOverVerifiedTlsWithPasswordsFromAConfigProvider() {
        for (String node : NODES) {
            connect.createConnector("src-" + node, secured(node, PgmeshConfigs.source(servers.get(node), DB, node,
                    connect.bootstrapServers()), ca));
            connect.createConnector("sink-" + node, secured(node, PgmeshConfigs.sink(servers.get(node), DB, node,
                    NODES.stream().filter(p -> !p.equals(node)).toList()), ca));
        }
        for (String node : NODES) {
            connect.awaitRunning("src-" + node, 1, WAIT);
            connect.awaitRunning("sink-" + node, 1, WAIT);
        }
        servers.get("n1").execute(DB, "INSERT INTO t VALUES (1, 'from n1')");
        servers.get("n2").execute(DB, "INSERT INTO t VALUES (2, 'from n2')");
        for (PostgresNode server : servers.values()) {
            Awaitility.await("both rows on " + server).atMost(WAIT).until(() ->
                    "2".equals(server.queryValue(DB, "SELECT count(*) FROM t")));
            assertEquals("t", server.queryValue(DB, "SELECT bool_and(s.ssl) AND count(*) >= 2 FROM pg_stat_ssl AS s"
                    + " JOIN pg_stat_activity AS a USING (pid) WHERE a.backend_type = 'walsender'"
                    + " OR a.application_name LIKE 'pgmesh%'"), "every pgmesh session of " + server + " uses TLS");
        }
    }

    @Test
    @Order(2)
    void aServerCertificateFromAnotherAuthorityIsRefused() {
        Map<String, String> config = secured("n1", PgmeshConfigs.source(servers.get("n1"), DB, "n1",
                connect.bootstrapServers()), otherCa);
        ConnectCluster.Response r = connect.validate(PgmeshConfigs.SOURCE_CLASS, config);
        assertTrue(r.ok(), r.text());
        assertTrue(r.body().path("error_count").asInt() > 0, r.text());
        String errors = r.text().toLowerCase(Locale.ROOT);
        assertTrue(errors.contains("ssl") || errors.contains("certificate") || errors.contains("pkix"), r.text());
    }

    @Test
    @Order(3)
    void noPasswordIsInTheWorkersLogOrInAnyRestAnswer() throws Exception {
        // a wrong literal password too: refused without being echoed
        Map<String, String> wrong = new HashMap<>(PgmeshConfigs.source(servers.get("n1"), DB, "n1",
                connect.bootstrapServers()));
        wrong.put("database.password", "wrong-Secret-4711");
        ConnectCluster.Response validation = connect.validate(PgmeshConfigs.SOURCE_CLASS, wrong);
        assertTrue(validation.body().path("error_count").asInt() > 0, validation.text());
        List<String> answers = new java.util.ArrayList<>(List.of(validation.text(),
                connect.get("connectors?expand=info&expand=status").text()));
        for (String node : NODES) {
            for (String c : List.of("src-" + node, "sink-" + node)) {
                answers.add(connect.get("connectors/" + c + "/config").text());
                answers.add(connect.get("connectors/" + c + "/status").text());
                answers.add(connect.get("connectors/" + c + "/tasks").text());
            }
        }
        String log = Files.readString(connect.worker().logFile(), StandardCharsets.UTF_8);
        assertTrue(log.contains("database.password = [hidden]"), "the worker logs the configuration, masked");
        for (String secret : secretsToLookFor()) {
            assertFalse(log.contains(secret), "a password in the worker's log");
            for (String answer : answers) {
                assertFalse(answer.contains(secret), "a password in a REST answer: " + answer);
            }
        }
        assertTrue(connect.get("connectors/src-n1/config").text().contains("${file:"), "the config keeps the reference");
    }

    private static List<String> secretsToLookFor() {
        List<String> all = new java.util.ArrayList<>(List.of("wrong-Secret-4711"));
        servers.values().forEach(s -> all.add(s.superuserPassword()));
        return all;
    }

    /** The config with the password from the secrets file, verify-full TLS against {@code rootCert}. */
    private static Map<String, String> secured(String node, Map<String, String> config, Path rootCert) {
        Map<String, String> secured = new HashMap<>(config);
        secured.put("database.password", "${file:" + secrets + ":" + node + ".password}");
        secured.put("database.sslmode", "verify-full");
        secured.put("database.sslrootcert", rootCert.toString());
        return secured;
    }
}
