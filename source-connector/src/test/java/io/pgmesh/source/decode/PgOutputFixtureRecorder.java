package io.pgmesh.source.decode;

import io.pgmesh.testkit.postgres.PostgresNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Records the byte fixtures {@link PgOutputDecoderTest} decodes, from a real server: each scenario
 * runs its SQL, then the slot's pgoutput messages (protocol 1, messages on) are fetched as bytes.
 * Run on demand, once per PostgreSQL major:
 * {@code mvn -pl source-connector -am test -Dtest=PgOutputFixtureRecorder -Dsurefire.failIfNoSpecifiedTests=false
 * -Dpgmesh.record.fixtures=true -Dpg.major=17}
 * (it is a test only so that it can use the test kit's servers; it is skipped otherwise).
 */
@EnabledIfSystemProperty(named = "pgmesh.record.fixtures", matches = "true")
class PgOutputFixtureRecorder {

    static final Map<String, String> SCENARIOS = new LinkedHashMap<>();

    static {
        SCENARIOS.put("insert", "BEGIN; INSERT INTO fx.t1 VALUES (1, 'it''s \"quoted\"' || E'\\n' || 'Grüße ✓', 'happy', NULL); COMMIT");
        SCENARIOS.put("update_plain", "UPDATE fx.t1 SET name = 'renamed' WHERE id = 1");
        SCENARIOS.put("update_key_change", "UPDATE fx.t1 SET id = 10 WHERE id = 1");
        SCENARIOS.put("update_unchanged_toast",
                "INSERT INTO fx.t1 VALUES (2, 'big', 'ok', (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 400) g));"
                + " UPDATE fx.t1 SET name = 'still big' WHERE id = 2");
        SCENARIOS.put("delete_key", "DELETE FROM fx.t1 WHERE id = 10");
        SCENARIOS.put("full_identity", "INSERT INTO fx.t2 VALUES (1, 'x'); UPDATE fx.t2 SET b = 'z'; DELETE FROM fx.t2");
        SCENARIOS.put("index_identity", "INSERT INTO fx.t3 VALUES (1, 'x'); UPDATE fx.t3 SET a = 2; DELETE FROM fx.t3");
        SCENARIOS.put("quoted_names", "INSERT INTO \"Fx Schema\".\"Ünïcode \"\"Table\"\"\" (\"Select\", \"my col\") VALUES (1, 'v')");
        SCENARIOS.put("truncate", "TRUNCATE fx.t1, fx.t2 RESTART IDENTITY CASCADE");
        SCENARIOS.put("message_transactional", "BEGIN; SELECT pg_logical_emit_message(true, 'pgmesh.ddl', 'CREATE TABLE x()'); COMMIT");
        SCENARIOS.put("message_nontransactional", "SELECT pg_logical_emit_message(false, 'pgmesh.heartbeat', '1700000000000000')");
        SCENARIOS.put("origin",
                "SELECT pg_replication_origin_session_setup('pgmesh_n2');"
                + " BEGIN; SELECT pg_replication_origin_xact_setup('0/1234ABCD', '2001-02-03 04:05:06.789012+00');"
                + " INSERT INTO fx.t1 VALUES (3, 'from n2', 'ok', 'z'); COMMIT;"
                + " SELECT pg_replication_origin_session_reset()");
    }

    @Test
    void recordFixtures() throws Exception {
        try (PostgresNode node = PostgresNode.start("fixtures")) {
            node.execute("postgres",
                    "CREATE SCHEMA fx",
                    "CREATE TYPE fx.mood AS ENUM ('sad', 'ok', 'happy')",
                    "CREATE TABLE fx.t1 (id int PRIMARY KEY, name text, m fx.mood, big text)",
                    "CREATE TABLE fx.t2 (a int, b text)",
                    "ALTER TABLE fx.t2 REPLICA IDENTITY FULL",
                    "CREATE TABLE fx.t3 (a int NOT NULL, b text)",
                    "CREATE UNIQUE INDEX t3_a ON fx.t3 (a)",
                    "ALTER TABLE fx.t3 REPLICA IDENTITY USING INDEX t3_a",
                    "CREATE SCHEMA \"Fx Schema\"",
                    "CREATE TABLE \"Fx Schema\".\"Ünïcode \"\"Table\"\"\" (\"Select\" int PRIMARY KEY, \"my col\" text)",
                    "SELECT pg_replication_origin_create('pgmesh_n2')",
                    "CREATE PUBLICATION fx FOR ALL TABLES",
                    "SELECT pg_create_logical_replication_slot('fx', 'pgoutput')");
            StringBuilder out = new StringBuilder("# pgoutput messages (protocol 1, messages on) recorded from "
                    + node.queryValue("postgres", "SELECT version()") + "\n# by PgOutputFixtureRecorder: scenario, index, hex\n");
            try (Connection c = node.connect("postgres"); Statement s = c.createStatement()) {
                for (Map.Entry<String, String> scenario : SCENARIOS.entrySet()) {
                    for (String sql : scenario.getValue().split("; ")) {
                        s.execute(sql);
                    }
                    record(s, scenario.getKey(), out);
                }
            }
            String major = node.queryValue("postgres", "SELECT current_setting('server_version_num')::int / 10000");
            Path file = Path.of("src/test/resources/pgoutput/fixtures-pg" + major + ".txt");
            Files.writeString(file, out.toString(), StandardCharsets.UTF_8);
        }
    }

    /**
     * Fetches the scenario's messages; waits for the WAL writer when they are not flushed yet (a
     * non-transactional message commits asynchronously).
     */
    private static void record(Statement s, String scenario, StringBuilder out) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!fetch(s, scenario, out)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("scenario " + scenario + " produced no pgoutput message");
            }
            Thread.sleep(100);
        }
    }

    private static boolean fetch(Statement s, String scenario, StringBuilder out) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT data FROM pg_logical_slot_get_binary_changes('fx', NULL, NULL,"
                + " 'proto_version', '1', 'publication_names', 'fx', 'messages', 'true')")) {
            int index = 0;
            while (rs.next()) {
                out.append(scenario).append('\t').append(index++).append('\t')
                        .append(HexFormat.of().formatHex(rs.getBytes(1))).append('\n');
            }
            return index > 0;
        }
    }
}
