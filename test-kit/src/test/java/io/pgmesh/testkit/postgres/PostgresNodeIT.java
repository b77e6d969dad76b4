package io.pgmesh.testkit.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(180)
class PostgresNodeIT {

    @Test
    void startsARealServerReadyForLogicalReplication() {
        try (PostgresNode node = PostgresNode.start("kit")) {
            assertEquals("logical", node.queryValue("postgres", "SHOW wal_level"));
            assertEquals("on", node.queryValue("postgres", "SHOW track_commit_timestamp"));
            String expectedMajor = System.getProperty("pgmesh.pg.major", "17");
            assertEquals(expectedMajor, node.queryValue("postgres", "SHOW server_version_num").substring(0, 2));
            node.execute("postgres", "CREATE TABLE t (id int primary key)", "INSERT INTO t VALUES (1)");
            node.execute("postgres", "SELECT pg_create_logical_replication_slot('probe', 'pgoutput')");
            node.restart(PostgresNode.StopMode.IMMEDIATE);
            assertEquals("1", node.queryValue("postgres", "SELECT count(*) FROM t"));
            assertEquals("probe", node.queryValue("postgres", "SELECT slot_name FROM pg_replication_slots"));
        }
    }

    @Test
    void refusesAWrongPasswordAndHonoursSettingOverrides() throws Exception {
        try (PostgresNode node = PostgresNode.builder("kit-replica").setting("wal_level", "replica").start()) {
            assertEquals("replica", node.queryValue("postgres", "SHOW wal_level"));
            SQLException e = assertThrows(SQLException.class,
                    () -> node.connect("postgres", PostgresNode.SUPERUSER, "wrong").close());
            assertEquals("28P01", e.getSQLState());
            assertTrue(node.isRunning());
        }
    }
}
