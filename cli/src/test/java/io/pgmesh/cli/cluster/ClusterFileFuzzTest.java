package io.pgmesh.cli.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pgmesh.cli.CliException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random damage to the example cluster file: every damaged file is either read or refused with a
 * message (IllegalArgumentException, which pgmeshctl prints with the file's name), never a crash,
 * and a refusal never shows a password; a file that is read renders its connectors without one.
 */
class ClusterFileFuzzTest {

    private static final String SECRET = "fuzz-Secret-4711";
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final List<JsonNode> HOSTILE = List.of(JSON.nullNode(), JSON.textNode(""), JSON.textNode(" "),
            JSON.textNode("-1"), JSON.numberNode(0), JSON.numberNode(-1), JSON.numberNode(99999999999L),
            JSON.numberNode(1.5), JSON.booleanNode(true), JSON.textNode("x'); DROP TABLE t; --"),
            JSON.textNode("Ünïcödé"), JSON.textNode("${env:NOPE}"), JSON.textNode("http://"), JSON.textNode("n1"),
            JSON.arrayNode(), JSON.objectNode(), JSON.arrayNode().add(JSON.nullNode()),
            JSON.objectNode().put("a", 1), JSON.textNode("a".repeat(5000)));

    @Test
    void damagedClusterFilesAreReadOrRefusedWithAMessageNeverWithACrash() throws Exception {
        JsonNode example = new ObjectMapper(new YAMLFactory())
                .readTree(Files.readString(Path.of("..", "config-examples", "cluster.yaml")));
        ((ObjectNode) example.get("nodes").get(0)).put("password", SECRET);
        Random random = new Random(Long.getLong("pgmesh.fuzz.seed", 20261202L));
        List<String> findings = new ArrayList<>();
        for (int round = 0; round < Integer.getInteger("pgmesh.fuzz.rounds", 2000); round++) {
            JsonNode damaged = example.deepCopy();
            for (int i = 1 + random.nextInt(3); i > 0; i--) {
                damage(damaged, random);
            }
            try {
                ClusterFile cluster = ClusterFile.parse(damaged);
                String rendered = new ConnectorPlan(cluster, name -> "from-env").all().toString();
                if (rendered.contains(SECRET) && !damaged.toString().contains("connectPassword")) {
                    findings.add("a rendered plan showed the password for " + damaged);
                }
            } catch (IllegalArgumentException | CliException e) {
                if (e.getMessage() == null || e.getMessage().isBlank()) {
                    findings.add("refused without a message: " + damaged);
                } else if (e.getMessage().contains(SECRET)) {
                    findings.add("the refusal showed the password: " + e.getMessage());
                }
            } catch (RuntimeException e) {
                findings.add(e + " for " + abbreviated(damaged));
            }
        }
        assertTrue(findings.isEmpty(), findings.size() + " findings, the first: "
                + findings.subList(0, Math.min(5, findings.size())));
    }

    /** Replaces, removes or adds one field somewhere in the tree. */
    private static void damage(JsonNode root, Random random) {
        List<JsonNode> containers = new ArrayList<>();
        collect(root, containers);
        JsonNode target = containers.get(random.nextInt(containers.size()));
        JsonNode value = HOSTILE.get(random.nextInt(HOSTILE.size())).deepCopy();
        if (target instanceof ObjectNode object) {
            List<String> names = new ArrayList<>();
            object.fieldNames().forEachRemaining(names::add);
            int what = random.nextInt(6);
            if (names.isEmpty() || what == 0) {
                object.set("unknownField" + random.nextInt(10), value);
            } else if (what == 1) {
                object.remove(names.get(random.nextInt(names.size())));
            } else {
                object.set(names.get(random.nextInt(names.size())), value);
            }
        } else if (target instanceof ArrayNode array) {
            if (array.isEmpty() || random.nextBoolean()) {
                array.add(value);
            } else {
                array.set(random.nextInt(array.size()), value);
            }
        }
    }

    private static void collect(JsonNode node, List<JsonNode> containers) {
        if (node.isContainerNode()) {
            containers.add(node);
            node.elements().forEachRemaining(child -> collect(child, containers));
        }
    }

    private static String abbreviated(JsonNode node) {
        String text = node.toString();
        return text.length() > 600 ? text.substring(0, 600) + "..." : text;
    }
}
