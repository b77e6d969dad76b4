package io.pgmesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgmesh.cli.command.ConnectorFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgmeshctlTest {

    @TempDir
    Path dir;

    private record Run(int status, String output) {
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        return new Run(Pgmeshctl.run(args, print, print), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void usageErrorsExitWithTwoAndSayWhatIsMissing() {
        assertEquals(2, run().status());
        assertEquals(0, run("--help").status());
        Run unknown = run("frobnicate", "--connect", "http://localhost:1");
        assertEquals(2, unknown.status());
        assertTrue(unknown.output().contains("Unmatched arguments from index 0: 'frobnicate'"), unknown.output());
        Run missing = run("reseed", "--connect", "http://localhost:1", "--node", "n2");
        assertEquals(2, missing.status());
        assertTrue(missing.output().contains("Missing required option: '--seed-from=PEER'"), missing.output());
        Run timeout = run("reseed", "--connect", "http://localhost:1", "--timeout", "soon", "--node", "n2",
                "--seed-from", "n1");
        assertEquals(2, timeout.status());
        assertTrue(timeout.output().contains("--timeout takes a whole number of minutes"), timeout.output());
        Run dangling = run("reseed", "--node");
        assertEquals(2, dangling.status());
        Run noTarget = run("status");
        assertEquals(2, noTarget.status());
        assertTrue(noTarget.output().contains("--cluster is required"), noTarget.output());
        Run half = run("add-node", "--connect", "http://localhost:1", "--node", "n3", "--seed-from", "n1",
                "--source-config", "x.json");
        assertEquals(2, half.status());
        assertTrue(half.output().contains("give both --source-config and --sink-config"), half.output());
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : List.of("init", "plan", "apply", "status", "wait-sync", "add-node", "reseed",
                "remove-node")) {
            Run help = run(command, "--help");
            assertEquals(0, help.status(), command);
            assertTrue(help.output().contains("Usage: pgmeshctl " + command), help.output());
        }
    }

    @Test
    void aBrokenClusterFileFailsWithOneNamingTheField() throws Exception {
        Path file = Files.writeString(dir.resolve("mesh.yaml"), "connect: http://localhost:8083\nkafka: k:9092\n"
                + "nodes:\n  - name: N1\n    host: h\n    database: app\n    user: u\n");
        Run run = run("plan", "--cluster", file.toString());
        assertEquals(1, run.status());
        assertTrue(run.output().contains("nodes[0]: node name 'N1' is invalid"), run.output());
    }

    @Test
    void anUnreachableConnectFailsWithOneSayingWhereItLooked() {
        Run run = run("reseed", "--connect", "http://127.0.0.1:1", "--node", "n2", "--seed-from", "n1");
        assertEquals(1, run.status());
        assertTrue(run.output().contains("Connect at http://127.0.0.1:1/ did not answer"), run.output());
    }

    @Test
    void connectorFilesMustBeWhatConnectTakes() throws Exception {
        Path good = Files.writeString(dir.resolve("good.json"),
                "{\"name\": \"src-n3\", \"config\": {\"node.name\": \"n3\", \"tasks.max\": 1}}");
        MeshTopology.Connector c = ConnectorFiles.read(good.toString());
        assertEquals("src-n3", c.name());
        assertEquals(Map.of("node.name", "n3", "tasks.max", "1"), c.config());
        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"node.name\": \"n3\"}");
        CliException e = assertThrows(CliException.class, () -> ConnectorFiles.read(bad.toString()));
        assertTrue(e.getMessage().contains("must hold {\"name\""), e.getMessage());
    }

    @Test
    void theMeshIsReadFromTheConnectorsConfigurations() {
        MeshTopology mesh = MeshTopology.of(Map.of(
                "src-a", Map.of("connector.class", MeshTopology.SOURCE_CLASS, "node.name", "a", "topic.prefix", "m"),
                "sink-a", Map.of("connector.class", MeshTopology.SINK_CLASS, "node.name", "a", "topics", "m.b, m.c"),
                "other", Map.of("connector.class", "org.example.Other", "node.name", "a")));
        assertEquals("m.a", mesh.requireSource("a").topic());
        assertEquals(List.of("m.b", "m.c"), mesh.requireSink("a").topics());
        CliException e = assertThrows(CliException.class, () -> mesh.requireSource("b"));
        assertTrue(e.getMessage().contains("nodes with one: [a]"), e.getMessage());
        assertThrows(CliException.class, () -> MeshTopology.of(Map.of(
                "s1", Map.of("connector.class", MeshTopology.SOURCE_CLASS, "node.name", "a"),
                "s2", Map.of("connector.class", MeshTopology.SOURCE_CLASS, "node.name", "a"))));
    }
}
