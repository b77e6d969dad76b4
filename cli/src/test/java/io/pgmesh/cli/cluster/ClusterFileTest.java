package io.pgmesh.cli.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pgmesh.cli.CliException;
import io.pgmesh.cli.MeshTopology.Connector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterFileTest {

    private static final String MESH = """
            connect: http://connect:8083
            kafka: kafka:9092
            replicationSets: [default, ddl_sql]
            source:
              value.converter: org.apache.kafka.connect.json.JsonConverter
              producer.override.linger.ms: 5
            sink:
              errors.tolerance: all
            nodes:
              - name: n1
                host: pg1
                database: app
                user: pgmesh
                passwordEnv: N1_PASSWORD
                sslmode: verify-full
                sslrootcert: /etc/pgmesh/ca.pem
              - name: n2
                host: pg2
                port: 6432
                database: app
                user: pgmesh
                password: "s3cr'et"
                connectPassword: ${file:/etc/pgmesh/secrets.properties:n2}
              - name: n3
                host: pg3
                database: app
                user: pgmesh
            """;

    private static ClusterFile parse(String yaml) throws Exception {
        return ClusterFile.parse(new ObjectMapper(new YAMLFactory()).readTree(yaml));
    }

    private static String error(String yaml) {
        return assertThrows(IllegalArgumentException.class, () -> parse(yaml)).getMessage();
    }

    @Test
    void aMeshOfThreeNodesRendersASourceAndASinkPerNodeEachSinkReadingItsPeers() throws Exception {
        ClusterFile cluster = parse(MESH);
        ConnectorPlan plan = new ConnectorPlan(cluster, Map.of("N1_PASSWORD", "from-env")::get);
        List<Connector> all = plan.all();
        assertEquals(List.of("pgmesh-source-n1", "pgmesh-source-n2", "pgmesh-source-n3", "pgmesh-sink-n1",
                "pgmesh-sink-n2", "pgmesh-sink-n3"), all.stream().map(Connector::name).toList());

        Map<String, String> source = plan.source(cluster.node("n1")).config();
        assertEquals("n1", source.get("node.name"));
        assertEquals("kafka:9092", source.get("kafka.bootstrap.servers"));
        assertEquals("from-env", source.get("database.password"));
        assertEquals("verify-full", source.get("database.sslmode"));
        assertEquals("/etc/pgmesh/ca.pem", source.get("database.sslrootcert"));
        assertEquals("required", source.get("exactly.once.support"));
        assertEquals("5", source.get("producer.override.linger.ms"), "the file's keys win over pgmeshctl's defaults");
        assertEquals("524288", source.get("producer.override.batch.size"));

        Map<String, String> sink = plan.sink(cluster.node("n2")).config();
        assertEquals("pgmesh.n1,pgmesh.n3", sink.get("topics"));
        assertEquals("2", sink.get("tasks.max"));
        assertEquals("default,ddl_sql", sink.get("replication.sets"));
        assertEquals("6432", sink.get("database.port"));
        assertEquals("${file:/etc/pgmesh/secrets.properties:n2}", sink.get("database.password"));
        assertEquals("all", sink.get("errors.tolerance"));
        assertEquals("read_committed", sink.get("consumer.override.isolation.level"));
    }

    @Test
    void passwordsNeverShowInPlansOrInANodesDescription() throws Exception {
        ClusterFile cluster = parse(MESH);
        ConnectorPlan plan = new ConnectorPlan(cluster, Map.of("N1_PASSWORD", "from-env")::get);
        assertEquals("********", ConnectorPlan.masked(plan.source(cluster.node("n1")).config()).get("database.password"));
        assertEquals("${file:/etc/pgmesh/secrets.properties:n2}",
                ConnectorPlan.masked(plan.sink(cluster.node("n2")).config()).get("database.password"));
        assertFalse(cluster.node("n2").toString().contains("s3cr"));
        assertFalse(cluster.toString().contains("s3cr'et"), cluster.toString());
        assertEquals("s3cr'et", cluster.node("n2").resolvedPassword(k -> null), "pgmeshctl itself connects with it");
    }

    @Test
    void aMissingEnvironmentVariableSaysWhichNodeNeedsIt() throws Exception {
        ClusterFile cluster = parse(MESH);
        CliException e = assertThrows(CliException.class, () -> cluster.node("n1").resolvedPassword(k -> null));
        assertTrue(e.getMessage().contains("N1_PASSWORD"), e.getMessage());
    }

    @Test
    void everyMistakeNamesItsField() {
        assertTrue(error("kafka: k\nnodes: []").contains("connect is required"));
        assertTrue(error("connect: ftp://x\nkafka: k\nnodes: [{name: a, host: h, database: d, user: u}]")
                .contains("connect: expected an http(s) URL"));
        assertTrue(error("connect: http://c\nkafka: k\nnodes: []").contains("nodes: expected a list"));
        assertTrue(error("connect: http://c\nkafka: k\nconect: x\nnodes: [{name: a, host: h, database: d, user: u}]")
                .contains("unknown key 'conect'"));
        assertTrue(error("connect: http://c\nkafka: k\nnodes: [{name: a, host: h, database: d}]")
                .contains("nodes[0]: user is required"));
        assertTrue(error("connect: http://c\nkafka: k\nnodes: [{name: a, host: h, database: d, user: u, port: 70000}]")
                .contains("port '70000' is not a port number"));
        assertTrue(error("connect: http://c\nkafka: k\nnodes: [{name: a, host: h, database: d, user: u, sslmode: bogus}]")
                .contains("sslmode 'bogus' is not one of"));
        assertTrue(error("connect: http://c\nkafka: k\nnodes: [{name: a, host: h, database: d, user: u},"
                + " {name: a, host: h2, database: d, user: u}]").contains("node a appears twice"));
        assertTrue(error("connect: http://c\nkafka: k\nnodes: [{name: a, host: h, database: d, user: u, password: p,"
                + " passwordEnv: P}]").contains("password or passwordEnv, not both"));
        assertTrue(error("connect: http://c\nkafka: k\ntopicPrefix: 'a b'\nnodes: [{name: a, host: h, database: d,"
                + " user: u}]").contains("topicPrefix"));
    }

    @Test
    void theExampleClusterFileIsValid() {
        Path example = Path.of("..", "config-examples", "cluster.yaml");
        assertTrue(Files.exists(example), "config-examples/cluster.yaml");
        ClusterFile cluster = ClusterFile.read(example);
        assertEquals(3, cluster.nodes().size());
    }
}
