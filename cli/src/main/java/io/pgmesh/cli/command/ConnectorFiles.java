package io.pgmesh.cli.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgmesh.cli.CliException;
import io.pgmesh.cli.MeshTopology.Connector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Connector JSON files as POSTed to Connect: {@code {"name": ..., "config": {...}}}. */
public final class ConnectorFiles {

    private ConnectorFiles() {
    }

    public static Connector read(String file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(Path.of(file)));
        } catch (IOException e) {
            throw new CliException("cannot read connector file " + file + ": " + e.getMessage());
        }
        String name = root.path("name").asText("");
        if (name.isBlank() || !root.path("config").isObject()) {
            throw new CliException(file + " must hold {\"name\": \"...\", \"config\": {...}} as POSTed to Connect");
        }
        Map<String, String> config = new LinkedHashMap<>();
        root.path("config").fields().forEachRemaining(e -> config.put(e.getKey(), e.getValue().asText()));
        return new Connector(name, config);
    }
}
