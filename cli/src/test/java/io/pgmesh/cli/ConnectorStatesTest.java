package io.pgmesh.cli;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** pgmeshctl's waits end on a FAILED task, with its trace, and at their bound otherwise. */
class ConnectorStatesTest {

    private static final String FAILED_TASK = "{\"name\":\"sink-n3\",\"connector\":{\"state\":\"RUNNING\"},\"tasks\":[{\"id\":0,"
            + "\"state\":\"FAILED\",\"trace\":\"org.apache.kafka.connect.errors.ConnectException: Gave up waiting\\n\\tat a.b(C.java:1)\\n"
            + "Caused by: io.pgmesh.sink.apply.SchemaMismatchException: Table \\\"public\\\".\\\"t\\\" does not exist on node n3\\n\\tat d.e(F.java:2)\"}]}";
    private static final String RUNNING = "{\"name\":\"sink-n3\",\"connector\":{\"state\":\"RUNNING\"},\"tasks\":[{\"id\":0,"
            + "\"state\":\"RUNNING\"}]}";

    private HttpServer server;
    private final AtomicReference<String> status = new AtomicReference<>(RUNNING);

    private ConnectorStates states(Duration timeout) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] bytes = status.get().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        return new ConnectorStates(new ConnectClient("http://127.0.0.1:" + server.getAddress().getPort(),
                Duration.ofSeconds(5)), timeout);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void aWaitForProgressEndsOnAFailedTaskWithItsTraceAndRootCause() throws IOException {
        ConnectorStates states = states(Duration.ofMinutes(30));
        long started = System.nanoTime();
        status.set(FAILED_TASK);
        ConnectorFailedException e = assertThrows(ConnectorFailedException.class, () -> states.await("progress", () -> {
            states.throwIfFailed("sink-n3");
            return false;
        }));
        assertTrue(System.nanoTime() - started < Duration.ofSeconds(10).toNanos(), "ended at once, not at the bound");
        assertTrue(e.getMessage().startsWith("task 0 of sink-n3 FAILED: org.apache.kafka.connect.errors.ConnectException:"
                + " Gave up waiting"), e.getMessage());
        assertTrue(e.getMessage().contains("\nCaused by: io.pgmesh.sink.apply.SchemaMismatchException: Table"), e.getMessage());
        assertTrue(e.getMessage().contains("at d.e(F.java:2)"), "the whole trace: " + e.getMessage());
        assertTrue(e.getMessage().contains("restart"), e.getMessage());
    }

    @Test
    void awaitRunningEndsOnAFailedTaskToo() throws IOException {
        ConnectorStates states = states(Duration.ofMinutes(30));
        status.set(FAILED_TASK);
        assertThrows(ConnectorFailedException.class, () -> states.awaitRunning("sink-n3"));
    }

    @Test
    void aWaitThatMakesNoProgressEndsAtItsBound() throws IOException {
        ConnectorStates states = states(Duration.ofSeconds(1));
        CliException e = assertThrows(CliException.class, () -> states.await("the sink to catch up", () -> {
            states.throwIfFailed("sink-n3");
            return false;
        }));
        assertTrue(e.getMessage().contains("gave up waiting for the sink to catch up after 1 s"), e.getMessage());
    }
}
