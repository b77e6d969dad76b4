package io.pgmesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** ConnectClient against a small HTTP server that answers like Connect does during a rebalance. */
class ConnectClientTest {

    private HttpServer server;
    private final Deque<Answer> answers = new ArrayDeque<>();
    private final AtomicInteger calls = new AtomicInteger();

    private record Answer(int status, String body) {
    }

    private String serve() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            calls.incrementAndGet();
            Answer a;
            synchronized (answers) {
                a = answers.size() > 1 ? answers.poll() : answers.peek();
            }
            byte[] bytes = a.body().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(a.status(), bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void asksAgainWhileConnectRebalancesAndReturnsTheAnswerAfterwards() throws IOException {
        answers.add(new Answer(500, "{\"error_code\":500,\"message\":\"Request cannot be completed because a rebalance is expected\"}"));
        answers.add(new Answer(409, "{\"error_code\":409,\"message\":\"Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)\"}"));
        answers.add(new Answer(200, "{\"connector.class\":\"x\"}"));
        ConnectClient client = new ConnectClient(serve(), Duration.ofSeconds(30));
        assertEquals(Map.of("connector.class", "x"), client.config("c"));
        assertEquals(3, calls.get());
    }

    @Test
    void givesUpAfterTheRebalanceWaitNamingTheCallAndTheAnswer() throws IOException {
        answers.add(new Answer(409, "{\"error_code\":409,\"message\":\"rebalance in progress\"}"));
        ConnectClient client = new ConnectClient(serve(), Duration.ofMillis(700));
        CliException e = assertThrows(CliException.class, () -> client.putConfig("c", Map.of("a", "b")));
        assertTrue(e.getMessage().contains("PUT connectors/c/config"), e.getMessage());
        assertTrue(e.getMessage().contains("still rebalancing"), e.getMessage());
        assertTrue(e.getMessage().contains("HTTP 409"), e.getMessage());
        assertTrue(calls.get() >= 2, "asked " + calls.get() + " times");
    }

    @Test
    void otherErrorsFailAtOnce() throws IOException {
        answers.add(new Answer(500, "{\"error_code\":500,\"message\":\"Connector configuration is invalid\"}"));
        ConnectClient client = new ConnectClient(serve(), Duration.ofSeconds(30));
        CliException e = assertThrows(CliException.class, () -> client.config("c"));
        assertTrue(e.getMessage().contains("HTTP 500"), e.getMessage());
        assertEquals(1, calls.get());
        answers.clear();
        answers.add(new Answer(404, "{\"error_code\":404,\"message\":\"Unknown connector c\"}"));
        assertEquals(null, client.configIfExists("c"));
    }
}
