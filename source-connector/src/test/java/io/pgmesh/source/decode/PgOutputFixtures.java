package io.pgmesh.source.decode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The pgoutput messages {@link PgOutputFixtureRecorder} recorded, by scenario, in order. */
public final class PgOutputFixtures {

    public static final List<String> RECORDED_MAJORS = List.of("15", "17");

    private final String source;
    private final Map<String, List<byte[]>> scenarios;

    private PgOutputFixtures(String source, Map<String, List<byte[]>> scenarios) {
        this.source = source;
        this.scenarios = scenarios;
    }

    public static PgOutputFixtures load(String major) {
        String resource = "/pgoutput/fixtures-pg" + major + ".txt";
        try (InputStream in = PgOutputFixtures.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing fixture file " + resource);
            }
            Map<String, List<byte[]>> scenarios = new LinkedHashMap<>();
            String source = null;
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith("# pgoutput")) {
                    source = line;
                }
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split("\t");
                scenarios.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(HexFormat.of().parseHex(parts[2]));
            }
            return new PgOutputFixtures(source, scenarios);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<PgOutputMessage> decode(String scenario) {
        List<byte[]> messages = scenarios.get(scenario);
        if (messages == null) {
            throw new IllegalArgumentException("no scenario " + scenario + " in " + source);
        }
        PgOutputDecoder decoder = new PgOutputDecoder();
        return messages.stream().map(b -> decoder.decode(ByteBuffer.wrap(b))).toList();
    }

    Map<String, List<byte[]>> all() {
        return scenarios;
    }

    public List<String> scenarios() {
        return List.copyOf(scenarios.keySet());
    }

    @Override
    public String toString() {
        return source;
    }
}
