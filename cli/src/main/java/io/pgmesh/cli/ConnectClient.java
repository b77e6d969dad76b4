package io.pgmesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The Connect REST calls pgmeshctl makes. Every failure names the call and Connect's answer.
 *
 * <p>While the workers rebalance (right after a connector is created, changed or deleted, or a
 * worker joins or leaves) Connect refuses requests with 409 "rebalance in progress" or 500
 * "a rebalance is expected"; nothing was done, so the call is made again, with backoff, until
 * {@code rebalanceWait} has passed. Any other error fails at once.
 */
public final class ConnectClient {

    /** How long a call is repeated while Connect says it is rebalancing. */
    public static final Duration DEFAULT_REBALANCE_WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final Duration rebalanceWait;

    public ConnectClient(String url) {
        this(url, DEFAULT_REBALANCE_WAIT);
    }

    public ConnectClient(String url, Duration rebalanceWait) {
        this.base = url.endsWith("/") ? url : url + "/";
        this.rebalanceWait = rebalanceWait;
    }

    /** True when Connect refused the request because its workers are rebalancing: nothing was done. */
    static boolean isRebalancing(int status, String body) {
        return status == 409 || (status == 500 && body != null && body.toLowerCase(Locale.ROOT).contains("rebalance"));
    }

    /** Every connector with its configuration, by name. */
    public Map<String, Map<String, String>> connectors() {
        JsonNode all = call("GET", "connectors?expand=info", null);
        Map<String, Map<String, String>> result = new LinkedHashMap<>();
        all.fields().forEachRemaining(e -> result.put(e.getKey(), toMap(e.getValue().path("info").path("config"))));
        return result;
    }

    public Map<String, String> config(String connector) {
        return toMap(call("GET", "connectors/" + encode(connector) + "/config", null));
    }

    /** The connector's configuration, or null when Connect has no such connector. */
    public Map<String, String> configIfExists(String connector) {
        try {
            return config(connector);
        } catch (CliException e) {
            if (e.getMessage().contains("HTTP 404")) {
                return null;
            }
            throw e;
        }
    }

    public void delete(String connector) {
        call("DELETE", "connectors/" + encode(connector), null);
    }

    public void pause(String connector) {
        call("PUT", "connectors/" + encode(connector) + "/pause", null);
    }

    /** Creates the connector or replaces its configuration. */
    public void putConfig(String connector, Map<String, String> config) {
        call("PUT", "connectors/" + encode(connector) + "/config", config);
    }

    public void stop(String connector) {
        call("PUT", "connectors/" + encode(connector) + "/stop", null);
    }

    public void resume(String connector) {
        call("PUT", "connectors/" + encode(connector) + "/resume", null);
    }

    /** Restarts the connector's FAILED instance and FAILED tasks, if any. */
    public void restartFailed(String connector) {
        call("POST", "connectors/" + encode(connector) + "/restart?includeTasks=true&onlyFailed=true", null);
    }

    public void resetOffsets(String connector) {
        call("DELETE", "connectors/" + encode(connector) + "/offsets", null);
    }

    /** The connector's state and its tasks' states, e.g. "RUNNING [RUNNING, RUNNING]"; null when it does not exist. */
    public JsonNode status(String connector) {
        try {
            return call("GET", "connectors/" + encode(connector) + "/status", null);
        } catch (CliException e) {
            if (e.getMessage().contains("HTTP 404")) {
                return null;
            }
            throw e;
        }
    }

    /** The offset a sink connector has committed for one topic partition, if any. */
    public OptionalLong sinkOffset(String connector, String topic, int partition) {
        JsonNode offsets = call("GET", "connectors/" + encode(connector) + "/offsets", null).path("offsets");
        for (JsonNode o : offsets) {
            if (topic.equals(o.path("partition").path("kafka_topic").asText())
                    && o.path("partition").path("kafka_partition").asInt(-1) == partition) {
                return OptionalLong.of(o.path("offset").path("kafka_offset").asLong());
            }
        }
        return OptionalLong.empty();
    }

    private JsonNode call(String method, String path, Object body) {
        long deadline = System.nanoTime() + rebalanceWait.toNanos();
        long backoffMs = 200;
        while (true) {
            try {
                return callOnce(method, path, body);
            } catch (Rebalancing e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new CliException(method + " " + path + " failed: Connect was still rebalancing after "
                            + rebalanceWait.toSeconds() + " s (HTTP " + e.status + " " + e.body
                            + "). Check the workers' logs: a worker that keeps joining and leaving the group "
                            + "causes this.");
                }
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new CliException("interrupted during " + method + " " + path);
                }
                backoffMs = Math.min(backoffMs * 2, 2000);
            }
        }
    }

    private static final class Rebalancing extends RuntimeException {
        private final int status;
        private final String body;

        Rebalancing(int status, String body) {
            super(null, null, false, false);
            this.status = status;
            this.body = body;
        }
    }

    private JsonNode callOnce(String method, String path, Object body) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(Duration.ofSeconds(90)).header("Accept", "application/json");
            if (body != null) {
                request.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
            } else {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (isRebalancing(response.statusCode(), response.body())) {
                throw new Rebalancing(response.statusCode(), response.body());
            }
            if (response.statusCode() >= 300) {
                throw new CliException(method + " " + path + " failed: HTTP " + response.statusCode() + " "
                        + response.body());
            }
            return response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            throw new CliException("Connect at " + base + " did not answer " + method + " " + path + ": " + e.getMessage()
                    + ". Check --connect.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted during " + method + " " + path);
        }
    }

    private static Map<String, String> toMap(JsonNode node) {
        Map<String, String> map = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
        return map;
    }

    private static String encode(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
