package io.pgmesh.testkit.connect;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Connect worker configuration docs/operations.md gives users ("Running the Connect workers"),
 * read from the document itself: the test kit's worker processes start from it, so the tests run
 * workers as the documentation says and the two cannot drift apart.
 */
public final class DocumentedWorker {

    static final String SECTION = "## Running the Connect workers";
    private static final String FENCE = "```properties";

    private DocumentedWorker() {
    }

    /** The documented properties, in their order. */
    public static Map<String, String> properties() {
        Path doc = operationsDoc();
        try {
            return parse(Files.readString(doc, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + doc, e);
        }
    }

    static Map<String, String> parse(String markdown) {
        int section = markdown.indexOf(SECTION);
        int start = section < 0 ? -1 : markdown.indexOf(FENCE, section);
        if (start < 0) {
            throw new IllegalStateException("docs/operations.md has no properties block under '" + SECTION + "'");
        }
        int end = markdown.indexOf("```", start + FENCE.length());
        Map<String, String> props = new LinkedHashMap<>();
        for (String line : markdown.substring(start + FENCE.length(), end).split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int eq = l.indexOf('=');
            props.put(l.substring(0, eq).strip(), l.substring(eq + 1).strip());
        }
        return props;
    }

    /** docs/operations.md of the checkout the tests (or the quickstart) run in. */
    private static Path operationsDoc() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path doc = dir.resolve("docs").resolve("operations.md");
            if (Files.isRegularFile(doc)) {
                return doc;
            }
        }
        throw new IllegalStateException("docs/operations.md not found above " + Path.of("").toAbsolutePath()
                + ": the test kit's workers are configured from it");
    }
}
