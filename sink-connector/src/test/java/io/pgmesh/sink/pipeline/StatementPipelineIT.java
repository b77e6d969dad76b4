package io.pgmesh.sink.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.testkit.postgres.PostgresNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pipeline against a real PostgreSQL, on a connection set up as the sink's (autocommit off):
 * values reach the table exactly as given whatever they hold, each shape is prepared once per
 * connection, and an exchange of many transactions that fails in the middle keeps exactly the
 * transactions before the failing one.
 */
@Timeout(120)
class StatementPipelineIT {

    private static final String DB = "pipeline";
    private static PostgresNode server;

    @BeforeAll
    static void startServer() throws SQLException {
        server = PostgresNode.start("pipeline");
        server.createDatabase(DB);
        server.execute(DB, "CREATE TABLE t (id int PRIMARY KEY, v text, n bigint, b bool)");
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static Connection open() throws SQLException {
        Connection c = server.connect(DB);
        c.setAutoCommit(false);
        return c;
    }

    @Test
    void valuesArriveExactlyAsGivenWithOrWithoutStandardConformingStrings() throws SQLException {
        List<String> nasty = List.of("", "'", "''", "\\", "\\'", "$", "$$", "$a$", "a$a$b", "$a", "v$a", "$a1$",
                ";", "; DROP TABLE t; --", "?", "$1", "E'\\n'", "line\nbreak\ttab", "ünïcödé ☃ 𝄞", "{\"json\": \"x\"}",
                "/* comment */", "-- comment");
        for (String scs : List.of("on", "off")) {
            server.execute(DB, "TRUNCATE t");
            try (Connection c = open()) {
                try (var s = c.createStatement()) {
                    s.execute("SET standard_conforming_strings = " + scs);
                }
                PreparedShapes shapes = PreparedShapes.of(null, c);
                StatementPipeline p = new StatementPipeline();
                for (int i = 0; i < nasty.size(); i++) {
                    int id = i;
                    String v = nasty.get(i);
                    p.add("INSERT INTO public.t (id, v, n, b) VALUES (?::int, ?, ?, ?)",
                            a -> a.text(Integer.toString(id)).text(v).number(-id).bool(id % 2 == 0), null);
                }
                p.add("INSERT INTO public.t (id, v) VALUES (?::int, ?)", a -> a.text("1000").text(null), null);
                p.execute(c, shapes);
                c.commit();
                for (int i = 0; i < nasty.size(); i++) {
                    assertEquals(nasty.get(i), server.queryValue(DB, "SELECT v FROM t WHERE id = " + i), "scs " + scs);
                    assertEquals(Integer.toString(-i), server.queryValue(DB, "SELECT n FROM t WHERE id = " + i));
                }
                assertEquals("t", server.queryValue(DB, "SELECT v IS NULL FROM t WHERE id = 1000"));
            }
        }
    }

    @Test
    void eachShapeIsPreparedOncePerConnectionWhateverTheMix() throws SQLException {
        server.execute(DB, "TRUNCATE t");
        try (Connection c = open()) {
            PreparedShapes shapes = PreparedShapes.of(null, c);
            String insert = "INSERT INTO public.t (id, v) VALUES (?::int, ?)";
            String update = "UPDATE public.t SET v = ? WHERE id = ?::int";
            int id = 0;
            for (int exchange = 0; exchange < 20; exchange++) {
                StatementPipeline p = new StatementPipeline();
                for (int k = 0; k <= exchange % 4; k++) {
                    int row = id++;
                    p.add(insert, a -> a.text(Integer.toString(row)).text("x"), null);
                    if (k % 2 == 1) {
                        p.add(update, a -> a.text("y").text(Integer.toString(row)), null);
                    }
                    p.add("COMMIT");
                    p.add("BEGIN");
                }
                p.execute(c, shapes);
                c.commit();
            }
            assertEquals(2, shapes.size());
            try (var s = c.createStatement(); var rs = s.executeQuery(
                    "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'pgmesh\\_%'")) {
                rs.next();
                assertEquals(2, rs.getInt(1));
            }
            c.commit();
            assertEquals(Integer.toString(id), server.queryValue(DB, "SELECT count(*) FROM t"));
        }
    }

    @Test
    void aFailureInTheMiddleKeepsExactlyTheTransactionsBeforeIt() throws SQLException {
        for (int failing : new int[] {0, 13, 377, 599}) {
            server.execute(DB, "TRUNCATE t", "INSERT INTO t (id, v) VALUES (-1, 'taken')");
            try (Connection c = open()) {
                PreparedShapes shapes = PreparedShapes.of(null, c);
                StatementPipeline p = new StatementPipeline();
                List<Integer> ids = new ArrayList<>();
                for (int tx = 0; tx < 600; tx++) {
                    if (tx > 0) {
                        p.add("BEGIN");
                    }
                    int first = tx == failing ? -1 : tx * 2;
                    ids.add(first);
                    p.add("INSERT INTO public.t (id, v) VALUES (?::int, ?)", a -> a.text(Integer.toString(first)).text("a"),
                            null);
                    int second = tx * 2 + 1;
                    p.add("INSERT INTO public.t (id, v) VALUES (?::int, ?)", a -> a.text(Integer.toString(second)).text("b"),
                            null);
                    p.add("COMMIT");
                }
                SQLException e = assertThrows(SQLException.class, () -> p.execute(c, shapes));
                assertEquals("23505", e.getSQLState());
                c.rollback();
                assertEquals(Integer.toString(1 + failing * 2), server.queryValue(DB, "SELECT count(*) FROM t"));
                assertEquals(failing == 0 ? "-1" : Integer.toString(failing * 2 - 1),
                        server.queryValue(DB, "SELECT max(id) FROM t"));
                // the shape stays prepared and usable after the rollback
                StatementPipeline again = new StatementPipeline();
                again.add("INSERT INTO public.t (id, v) VALUES (?::int, ?)", a -> a.text("100000").text("c"), null);
                again.execute(c, shapes);
                c.commit();
                assertTrue(server.queryValue(DB, "SELECT v FROM t WHERE id = 100000").equals("c"));
                assertEquals(1, shapes.size());
            }
        }
    }

    @Test
    void forgottenShapesAreDeallocatedWithTheNextPrepareNeverInsideTheTransactionThatForgotThem() throws SQLException {
        server.execute(DB, "TRUNCATE t");
        try (Connection c = open()) {
            PreparedShapes shapes = PreparedShapes.of(null, c);
            StatementPipeline first = new StatementPipeline();
            first.add("INSERT INTO public.t (id, v) VALUES (?::int, ?)", a -> a.text("1").text("a"), null);
            first.execute(c, shapes);
            // as after DDL: forgotten while the transaction is open, which must stay usable
            shapes.clear();
            assertEquals(0, shapes.size());
            assertEquals(1, prepared(c));
            StatementPipeline second = new StatementPipeline();
            second.add("INSERT INTO public.t (id, v, n) VALUES (?::int, ?, ?)", a -> a.text("2").text("b").number(2), null);
            second.execute(c, shapes);
            c.commit();
            assertEquals("2", server.queryValue(DB, "SELECT count(*) FROM t"));
            assertEquals(1, prepared(c));
            c.commit();

            // beyond MAX shapes, the least recently used go
            for (int i = 0; i < PreparedShapes.MAX + 5; i++) {
                StatementPipeline p = new StatementPipeline();
                p.add("SELECT ?::int + " + i, a -> a.number(1), null);
                p.execute(c, shapes);
            }
            c.commit();
            assertEquals(PreparedShapes.MAX, shapes.size());
            assertEquals(PreparedShapes.MAX, prepared(c));
            c.commit();
        }
    }

    private static int prepared(Connection c) throws SQLException {
        try (var s = c.createStatement(); var rs = s.executeQuery(
                "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'pgmesh\\_%'")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
